/*===- Compiler.h - Ring modules compiled into this process -------*- C -*-===*\
 * SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
 *
 * For programs that build ring-level modules at run time (the PyTorch op
 * compiles one per configuration): parse a module's text, lower it (with
 * ring-lower-cpu unless told otherwise), compile it for this CPU and link it
into the process with
 * the runtime's C ABI (libRingAttnRuntime.so) resolved. Entries are called
 * through an embedding context (RingAttn/Runtime/Embedding.h). Plain C, so a
 * foreign-function interface (Python's ctypes) can call it; the library is
 * libRingAttnCompiler.so.
\*===----------------------------------------------------------------------===*/

#ifndef RINGATTN_C_COMPILER_H
#define RINGATTN_C_COMPILER_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct RingAttnCompiledModule RingAttnCompiledModule;

/**
 * Compiles `source`, a ring-level module (every function whose C interface
 * is wanted carries `llvm.emit_c_interface`): runs `pipeline`, a textual
 * pass pipeline on the module ("" or null: `ring-lower-cpu`; options as in
 * ring-opt, `ring-lower-cpu{target-cpu=x86-64-v3}`), compiles the result
 * for this CPU and links it into the process. Returns null with the first
 * error, on one line, in `error[0 .. errorSize)`.
 */
RingAttnCompiledModule *ringattnCompileModule(const char *source,
                                              const char *pipeline, char *error,
                                              size_t errorSize);

/** The address of `symbol` (for example `_mlir_ciface_attention`), or null
 *  with the reason in `error`. */
void *ringattnCompiledModuleLookup(RingAttnCompiledModule *module,
                                   const char *symbol, char *error,
                                   size_t errorSize);

/** Unlinks the module's code; its entries must not be running. */
void ringattnCompiledModuleDestroy(RingAttnCompiledModule *module);

#ifdef __cplusplus
}
#endif

#endif /* RINGATTN_C_COMPILER_H */
