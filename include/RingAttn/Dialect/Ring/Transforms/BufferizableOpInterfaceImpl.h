//===- BufferizableOpInterfaceImpl.h - Bufferizing ring ops -----*- C++ -*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
//
// External models, kept out of the dialect library as upstream keeps its
// dialects' (mlir/lib/Dialect/*/Transforms/BufferizableOpInterfaceImpl.cpp):
// a user of the ring dialect who never bufferizes does not link them.
//
//===----------------------------------------------------------------------===//

#ifndef RINGATTN_DIALECT_RING_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H
#define RINGATTN_DIALECT_RING_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H

namespace mlir {
class DialectRegistry;

namespace ring {
/// Lets One-Shot Bufferize turn the tensor forms of ring.shift_start /
/// ring.shift_wait, ring.block_attention and ring.combine into their buffer
/// forms.
void registerBufferizableOpInterfaceExternalModels(DialectRegistry &registry);
} // namespace ring
} // namespace mlir

#endif // RINGATTN_DIALECT_RING_TRANSFORMS_BUFFERIZABLEOPINTERFACEIMPL_H
