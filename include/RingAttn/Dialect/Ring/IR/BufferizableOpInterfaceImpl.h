//===- BufferizableOpInterfaceImpl.h - Bufferization of ring ops -*- C++
//-*-===//
// SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception

#ifndef RINGATTN_DIALECT_RING_IR_BUFFERIZABLEOPINTERFACEIMPL_H
#define RINGATTN_DIALECT_RING_IR_BUFFERIZABLEOPINTERFACEIMPL_H

namespace mlir {
class DialectRegistry;

namespace ring {
/// Lets One-Shot Bufferize turn the tensor form of ring.shift_start /
/// ring.shift_wait into the buffer form.
void registerBufferizableOpInterfaceExternalModels(DialectRegistry &registry);
} // namespace ring
} // namespace mlir

#endif // RINGATTN_DIALECT_RING_IR_BUFFERIZABLEOPINTERFACEIMPL_H
