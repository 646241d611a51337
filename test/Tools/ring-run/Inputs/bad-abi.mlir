// A lowered module whose entry description is broken.
llvm.func @attention() attributes {ring.abi = {causal = true}} {
  llvm.return
}
