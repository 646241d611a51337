//===- SequenceSharding.h - Global tensors to shards and back --*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#ifndef RINGATTN_SUPPORT_SEQUENCESHARDING_H
#define RINGATTN_SUPPORT_SEQUENCESHARDING_H

#include "RingAttn/Support/HostTensor.h"

#include "RingAttn/Support/SequenceLayout.h"

#include <functional>
#include <string>
#include <vector>

namespace ringattn {

/// How errors name rank `rank`'s shard of `operand` ("rank 1's shard of q").
std::string shardName(int rank, const std::string &operand);

/// Splits a global [batch, heads, S, head_dim] tensor into the N local
/// [batch, heads, L, head_dim] shards of `placement` (S <= N*L): local token
/// t of rank r is global token globalPosition(placement, N, r, L, t), and is
/// zero padding where that is S or more (a sequence the ranks do not divide;
/// the op's `length` masks it). False with `error` naming `operand` and the
/// rank if a shard's memory is not there.
bool scatterSequence(const HostTensor &global,
                     const SequencePlacement &placement, int ranks,
                     int64_t localLength, const std::string &operand,
                     std::vector<HostTensor> &shards, std::string &error);

/// The shards of one operand that a process of a ring job holds before its
/// backend scatters them: on the root (`global` given), every rank's, split
/// by scatterSequence (a ring of one in natural order takes *global itself,
/// without a copy);
/// elsewhere a zero-filled shard of `shardShape` for each rank the process
/// runs and an empty one for every other rank. False with `error` naming
/// the shard whose memory is not there.
bool shardsForProcess(HostTensor *global, const SequencePlacement &placement,
                      int ranks, ElementType type,
                      const std::vector<int64_t> &shardShape,
                      const std::function<bool(int rank)> &runsRank,
                      const std::string &operand,
                      std::vector<HostTensor> &shards, std::string &error);

/// The inverse of scatterSequence: writes every shard back into `global`,
/// dropping the padding.
void gatherSequence(const std::vector<HostTensor> &shards,
                    const SequencePlacement &placement, HostTensor &global);

} // namespace ringattn

#endif // RINGATTN_SUPPORT_SEQUENCESHARDING_H
