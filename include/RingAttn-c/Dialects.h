/*===- Dialects.h - C API of the ring dialect and its passes -------*- C
-*-===*\
 * SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
|*                                                                            *|
|* The ring dialect for MLIR's C API (mlir-c/IR.h), modelled on the C API of  *|
|* mlir/examples/standalone. Link RingAttnCAPI (RingAttn::RingAttnCAPI) and   *|
|* libMLIR.so; see docs/Packaging.md.                                         *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef RINGATTN_C_DIALECTS_H
#define RINGATTN_C_DIALECTS_H

#include "mlir-c/IR.h"

#ifdef __cplusplus
extern "C" {
#endif

/// mlirGetDialectHandle__ring__(): insert the dialect into a registry with
/// mlirDialectHandleInsertDialect, or load it with
/// mlirDialectHandleLoadDialect.
MLIR_DECLARE_CAPI_DIALECT_REGISTRATION(Ring, ring);

/// Adds the ring dialect's external models to the registry: the
/// bufferization interface (one-shot bufferization in ring-lower-cpu needs
/// it) and the sharding interface (upstream's shard-partition turns a
/// sequence-split ring.attention into the ring form with it).
MLIR_CAPI_EXPORTED void
mlirRingRegisterExternalModels(MlirDialectRegistry registry);

/// Registers the ring passes, the conversion passes and the pipelines
/// (ring-lower-cpu, ring-lower-nvvm) with the global pass registry, so that
/// mlirParsePassPipeline finds them.
MLIR_CAPI_EXPORTED void mlirRegisterRingPasses(void);

#ifdef __cplusplus
}
#endif

#endif /* RINGATTN_C_DIALECTS_H */
