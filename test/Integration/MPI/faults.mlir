// Faults under MPI end every process with a clear error in bounded time
// (`timeout` turns a hang into a failure of this test, not of CI).
// REQUIRES: mpi
// RUN: rm -rf %t && mkdir -p %t
// RUN: sed -e 's/@N@/3/g' -e 's/@LAYOUT@/zigzag/g' -e 's/@CAUSAL@/causal/g' -e 's/@HKV@/2/g' %S/../Ring/Inputs/ring.mlir.in > %t/ring3.mlir
// RUN: sed -e 's/@N@/3/g' -e 's/@LAYOUT@/striped/g' -e 's/@CAUSAL@/causal/g' -e 's/@HKV@/2/g' %S/../Ring/Inputs/ring.mlir.in > %t/other3.mlir

// A rank that hangs: its peers time out and abort the job.
// RUN: not timeout 60 %mpirun -np 3 ring-run %t/ring3.mlir --backend mpi --timeout-s 5 --fault-rank 1 --fault stall > %t/stall.log 2>&1
// RUN: FileCheck %s --check-prefix=STALL < %t/stall.log
// STALL: ringattn: rank {{[02]}}: timed out after 5 s waiting for shift 0 (receive from rank {{[0-2]}}, send to rank {{[0-2]}})

// A process that works alone far longer than the timeout (a slow compile)
// is alive, not stopped: its heartbeats keep the others waiting, and the
// job runs and checks. Rank 1 takes 4 timeouts before rank 0's object
// comes, rank 0 as long before the others get it.
// RUN: timeout 60 %mpirun -np 3 ring-run %t/ring3.mlir --backend mpi --timeout-s 1 --fault-rank 1 --fault slow-start --check > %t/slow1.log 2>&1 || (cat %t/slow1.log; false)
// RUN: FileCheck %s --check-prefix=SLOW < %t/slow1.log
// RUN: timeout 60 %mpirun -np 3 ring-run %t/ring3.mlir --backend mpi --timeout-s 1 --fault-rank 0 --fault slow-start --check > %t/slow0.log 2>&1 || (cat %t/slow0.log; false)
// RUN: FileCheck %s --check-prefix=SLOW < %t/slow0.log
// SLOW-NOT: timed out
// SLOW: check: {{.*}} PASS

// A rank that dies: the job ends with an error, not a hang.
// RUN: not timeout 60 %mpirun -np 3 ring-run %t/ring3.mlir --backend mpi --timeout-s 2 --fault-rank 2 --fault exit > %t/exit.log 2>&1
// RUN: FileCheck %s --check-prefix=EXIT < %t/exit.log
// EXIT: ring-run: fault injection: rank 2 exits
// EXIT: exited with non-zero status

// Processes given different modules refuse to run together.
// RUN: not timeout 60 %mpirun -np 2 ring-run %t/ring3.mlir --backend mpi : -np 1 ring-run %t/other3.mlir --backend mpi > %t/mixed.log 2>&1
// RUN: FileCheck %s --check-prefix=MIXED < %t/mixed.log
// MIXED: ring-run: error: rank 2 was given a different module, entry or options than rank 0 (every process must run the same command)

// A ring compiled for 3 ranks cannot run on 2 processes.
// RUN: not timeout 60 %mpirun -np 2 ring-run %t/ring3.mlir --backend mpi > %t/count.log 2>&1
// RUN: FileCheck %s --check-prefix=COUNT < %t/count.log
// COUNT: ring-run: error: @attention was compiled for a ring of 3 ranks but mpirun started 2 processes

// Bad input on rank 0 stops every process.
// RUN: not timeout 60 %mpirun -np 3 ring-run %t/ring3.mlir --backend mpi --inputs %t/none.npy,%t/none.npy,%t/none.npy > %t/input.log 2>&1
// RUN: FileCheck %s --check-prefix=INPUT < %t/input.log
// INPUT: ring-run: error: {{.*}}none.npy: cannot open file

// Options that only the threads backend has, and a --ranks that disagrees
// with mpirun, are refused by every process.
// RUN: not timeout 60 %mpirun -np 3 ring-run %t/ring3.mlir --backend mpi --link-gbps 1 > %t/link.log 2>&1
// RUN: FileCheck %s --check-prefix=LINK < %t/link.log
// LINK: ring-run: error: --link-gbps and --link-latency-us emulate an interconnect on the threads backend only
// RUN: not timeout 60 %mpirun -np 3 ring-run %t/ring3.mlir --backend mpi --ranks 2 > %t/ranks.log 2>&1
// RUN: FileCheck %s --check-prefix=RANKS < %t/ranks.log
// RANKS: ring-run: error: --ranks is 2 but mpirun started 3 processes

// A process that fails before the processes agree (its module does not
// exist, or it was given a bad option) ends the job at once; an error every
// process hits prints once, not once per process.
// RUN: not timeout 60 %mpirun -np 1 ring-run %t/ring3.mlir --backend mpi : -np 1 ring-run %t/missing.mlir --backend mpi > %t/missing.log 2>&1
// RUN: FileCheck %s --check-prefix=MISSING < %t/missing.log
// MISSING: ring-run: error: cannot open input file '{{.*}}missing.mlir'
// RUN: not timeout 60 %mpirun -np 2 ring-run %t/ring3.mlir --backend mpi : -np 1 ring-run %t/ring3.mlir --backend mpi --bogus > %t/option.log 2>&1
// RUN: FileCheck %s --check-prefix=OPTION < %t/option.log
// OPTION: ring-run: error: Unknown command line argument '--bogus'.
// RUN: grep -c '^[r]ing-run: error:' %t/count.log | FileCheck %s --check-prefix=ONCE
// RUN: grep -c '^[r]ing-run: error:' %t/ranks.log | FileCheck %s --check-prefix=ONCE
// ONCE: {{^}}1{{$}}
