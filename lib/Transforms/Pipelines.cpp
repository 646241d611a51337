//===- Pipelines.cpp - Named RingAttn pass pipelines ----------------------===//

#include "RingAttn/Transforms/Passes.h"

void mlir::ring::registerRingPipelines() {}
