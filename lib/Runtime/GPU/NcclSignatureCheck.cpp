//===- NcclSignatureCheck.cpp - NcclLibrary.h against nccl.h --------------===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// Compiled only where nccl.h is installed; it holds no code. Every entry
// point of NcclFunctions.def must have nccl.h's type, and our prefix of
// ncclConfig_t must lie where nccl.h's fields do.
//
//===----------------------------------------------------------------------===//

#include <nccl.h>

#include "NcclLibrary.h"
#include "SignatureCanon.h"

#include <cstddef>

namespace ringattn {
namespace runtime {
namespace nccl {
namespace {

// Our handle and id types are not nccl.h's by name; map them.
template <typename T> struct Ours {
  using type = signature::CanonType<T>;
};
template <> struct Ours<::ncclUniqueId> {
  using type = nccl::ncclUniqueId;
};
template <> struct Ours<::ncclUniqueId *> {
  using type = nccl::ncclUniqueId *;
};
template <> struct Ours<::ncclConfig_t *> {
  using type = nccl::ncclConfig_t *;
};
template <typename R, typename... A> struct Ours<R (*)(A...)> {
  using type = typename Ours<R>::type (*)(typename Ours<A>::type...);
};

#define NCCL_FUNCTION(Return, Symbol, Parameters)                              \
  static_assert(                                                               \
      std::is_same<                                                            \
          typename Ours<decltype(&::Symbol)>::type,                            \
          signature::CanonType<decltype(NcclLibrary::Symbol)>>::value,         \
      "NcclFunctions.def: " #Symbol " does not match its declaration in "      \
      "nccl.h");
#include "NcclFunctions.def"

static_assert(std::is_same<::ncclComm_t, ncclComm_t>::value, "ncclComm_t");
static_assert(sizeof(::ncclUniqueId) == sizeof(ncclUniqueId) &&
                  NCCL_UNIQUE_ID_BYTES == uniqueIdBytes,
              "ncclUniqueId");
static_assert(sizeof(::ncclResult_t) == sizeof(ncclResult_t), "ncclResult_t");
static_assert(int(::ncclSuccess) == ncclSuccess &&
                  int(::ncclInProgress) == ncclInProgress,
              "ncclResult_t values");
static_assert(::ncclUint8 == ncclUint8, "ncclUint8");
static_assert(NCCL_CONFIG_UNDEF_INT == INT_MIN, "NCCL_CONFIG_UNDEF_INT");
static_assert(NCCL_VERSION(2, 17, 0) == minimumVersion, "minimumVersion");

#define CHECK_FIELD(Field)                                                     \
  static_assert(offsetof(::ncclConfig_t, Field) ==                             \
                        offsetof(nccl::ncclConfig_t, Field) &&                 \
                    sizeof(::ncclConfig_t::Field) ==                           \
                        sizeof(nccl::ncclConfig_t::Field),                     \
                "ncclConfig_t." #Field " is not where nccl.h has it");
CHECK_FIELD(size)
CHECK_FIELD(magic)
CHECK_FIELD(version)
CHECK_FIELD(blocking)
CHECK_FIELD(cgaClusterSize)
CHECK_FIELD(minCTAs)
CHECK_FIELD(maxCTAs)
#undef CHECK_FIELD
static_assert(sizeof(nccl::ncclConfig_t) <= sizeof(::ncclConfig_t),
              "our ncclConfig_t prefix is longer than nccl.h's");
static_assert(sizeof(nccl::ncclConfig_t) == offsetof(::ncclConfig_t, netName),
              "our ncclConfig_t prefix must end where a 2.17 field begins");

} // namespace
} // namespace nccl
} // namespace runtime
} // namespace ringattn
