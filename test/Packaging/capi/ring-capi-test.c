/*===- ring-capi-test.c - The ring dialect through MLIR's C API ----------===*\
 * SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
|*                                                                            *|
|* Registers the ring dialect and its passes through include/RingAttn-c/,     *|
|* parses a ring.attention, runs ring-lower-cpu and fails unless no ring op   *|
|* is left (test/Packaging/capi.test checks the output).                      *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#include "RingAttn-c/Dialects.h"

#include "mlir-c/IR.h"
#include "mlir-c/Pass.h"
#include "mlir-c/RegisterEverything.h"

#include <stdio.h>
#include <string.h>

static const char *const kModule =
    "func.func @attention(%q: tensor<1x2x32x16xf32>,\n"
    "    %k: tensor<1x2x32x16xf32>, %v: tensor<1x2x32x16xf32>)\n"
    "    -> tensor<1x2x32x16xf32> {\n"
    "  %o = ring.attention %q, %k, %v causal\n"
    "      : tensor<1x2x32x16xf32>, tensor<1x2x32x16xf32>,\n"
    "        tensor<1x2x32x16xf32>\n"
    "  return %o : tensor<1x2x32x16xf32>\n"
    "}\n";

static void printToFile(MlirStringRef text, void *file) {
  fwrite(text.data, 1, text.length, (FILE *)file);
}

struct OpCounts {
  int ring;
  int llvmFuncs;
};

static MlirWalkResult countOps(MlirOperation op, void *userData) {
  struct OpCounts *counts = (struct OpCounts *)userData;
  MlirStringRef name = mlirIdentifierStr(mlirOperationGetName(op));
  if (name.length > 5 && strncmp(name.data, "ring.", 5) == 0) {
    fprintf(stderr, "ring-capi-test: left after ring-lower-cpu: %.*s\n",
            (int)name.length, name.data);
    ++counts->ring;
  }
  if (name.length == 9 && strncmp(name.data, "llvm.func", 9) == 0)
    ++counts->llvmFuncs;
  return MlirWalkResultAdvance;
}

int main(void) {
  MlirDialectRegistry registry = mlirDialectRegistryCreate();
  mlirRegisterAllDialects(registry);
  mlirDialectHandleInsertDialect(mlirGetDialectHandle__ring__(), registry);
  mlirRingRegisterExternalModels(registry);
  MlirContext context = mlirContextCreateWithRegistry(registry, false);
  mlirDialectRegistryDestroy(registry);
  mlirRegisterRingPasses();

  MlirDialect ring = mlirDialectHandleLoadDialect(
      mlirGetDialectHandle__ring__(), context);
  MlirStringRef ns = mlirDialectGetNamespace(ring);
  printf("ring-capi-test: dialect %.*s\n", (int)ns.length, ns.data);

  MlirModule module =
      mlirModuleCreateParse(context, mlirStringRefCreateFromCString(kModule));
  if (mlirModuleIsNull(module)) {
    fprintf(stderr, "ring-capi-test: the module did not parse\n");
    return 1;
  }
  MlirOperation moduleOp = mlirModuleGetOperation(module);
  mlirOperationPrint(moduleOp, printToFile, stdout);
  printf("\n");

  MlirPassManager pm = mlirPassManagerCreate(context);
  if (mlirLogicalResultIsFailure(mlirParsePassPipeline(
          mlirPassManagerGetAsOpPassManager(pm),
          mlirStringRefCreateFromCString("builtin.module(ring-lower-cpu)"),
          printToFile, stderr))) {
    fprintf(stderr, "\nring-capi-test: ring-lower-cpu is not registered\n");
    return 1;
  }
  if (mlirLogicalResultIsFailure(mlirPassManagerRunOnOp(pm, moduleOp))) {
    fprintf(stderr, "ring-capi-test: ring-lower-cpu failed\n");
    return 1;
  }
  struct OpCounts counts = {0, 0};
  mlirOperationWalk(moduleOp, countOps, &counts, MlirWalkPreOrder);
  printf("ring-capi-test: after ring-lower-cpu: %d ring ops, %d llvm.func\n",
         counts.ring, counts.llvmFuncs);

  mlirPassManagerDestroy(pm);
  mlirModuleDestroy(module);
  mlirContextDestroy(context);
  return counts.ring == 0 && counts.llvmFuncs > 0 ? 0 : 1;
}
