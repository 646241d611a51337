# The packaging test (docs/Packaging.md), run by ctest as
#   cmake -DMODE=install|build-tree -DRINGATTN_BINARY_DIR=... \
#     -DCONSUMER_SOURCE_DIR=... -DWORK_DIR=... -DNINJA=... \
#     -DCXX_COMPILER=... [-DLOCK_FILE=...] -P run-consumer.cmake
#
# install:    cmake --install the build into WORK_DIR/prefix, then build
#             test/Packaging/consumer against that prefix (CMAKE_PREFIX_PATH).
# build-tree: build the consumer with RingAttn_DIR=<build>/lib/cmake/RingAttn.
#
# Either way the consumer is configured and built with Ninja, -j2, and run;
# any failure (a broken RingAttnConfig.cmake, a missing header or library,
# a ring op left after ring-lower-cpu) fails the test.
cmake_minimum_required(VERSION 3.20)

foreach(var MODE RINGATTN_BINARY_DIR CONSUMER_SOURCE_DIR WORK_DIR NINJA
            CXX_COMPILER)
  if(NOT DEFINED ${var} OR "${${var}}" STREQUAL "")
    message(FATAL_ERROR "run-consumer.cmake: -D${var}=... is missing")
  endif()
endforeach()

function(run what)
  message(STATUS "packaging: ${what}: ${ARGN}")
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "packaging: ${what} failed (${rc})")
  endif()
endfunction()

# Two ctest processes on one build tree (or both modes of one) take turns:
# each starts by emptying its WORK_DIR, and two consumer builds at once
# would want four cores.
if(DEFINED LOCK_FILE)
  file(LOCK "${LOCK_FILE}" GUARD PROCESS TIMEOUT 900 RESULT_VARIABLE locked)
  if(NOT locked STREQUAL "0")
    message(FATAL_ERROR "packaging: could not lock ${LOCK_FILE}: ${locked}")
  endif()
endif()

file(REMOVE_RECURSE "${WORK_DIR}")
file(MAKE_DIRECTORY "${WORK_DIR}")

if(MODE STREQUAL "install")
  set(prefix "${WORK_DIR}/prefix")
  run("install" "${CMAKE_COMMAND}" --install "${RINGATTN_BINARY_DIR}"
    --prefix "${prefix}")
  foreach(file
      lib/cmake/RingAttn/RingAttnConfig.cmake
      lib/cmake/RingAttn/RingAttnConfigVersion.cmake
      lib/cmake/RingAttn/RingAttnTargets.cmake
      include/RingAttn/Dialect/Ring/IR/RingDialect.h
      include/RingAttn/Dialect/Ring/IR/RingOps.h.inc
      include/RingAttn/Transforms/Passes.h.inc
      include/RingAttn/Conversion/Passes.h.inc
      include/RingAttn/Runtime/RingRuntime.h
      lib/libMLIRRing.a
      lib/libRingAttnTransforms.a
      lib/libRingAttnCPUConversion.a
      lib/libRingAttnRuntime.so
      bin/ring-opt
      bin/ring-run)
    if(NOT EXISTS "${prefix}/${file}")
      message(FATAL_ERROR "packaging: ${file} was not installed")
    endif()
  endforeach()
  # The installed tools run from the prefix (their libraries are found
  # through the installed RUNPATH, not the build tree's).
  run("installed ring-opt" "${prefix}/bin/ring-opt" --version)
  run("installed ring-run" "${prefix}/bin/ring-run" --version)
  set(package_args "-DCMAKE_PREFIX_PATH=${prefix}")
  set(expected_dir "${prefix}/lib/cmake/RingAttn")
elseif(MODE STREQUAL "build-tree")
  set(expected_dir "${RINGATTN_BINARY_DIR}/lib/cmake/RingAttn")
  set(package_args "-DRingAttn_DIR=${expected_dir}")
else()
  message(FATAL_ERROR "run-consumer.cmake: MODE must be install or build-tree")
endif()

set(consumer "${WORK_DIR}/consumer")
run("configure the consumer" "${CMAKE_COMMAND}" -G Ninja
  -S "${CONSUMER_SOURCE_DIR}" -B "${consumer}"
  "-DCMAKE_MAKE_PROGRAM=${NINJA}" "-DCMAKE_CXX_COMPILER=${CXX_COMPILER}"
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF
  ${package_args})

# The package that was found is the one under test.
file(STRINGS "${consumer}/CMakeCache.txt" found REGEX "^RingAttn_DIR:")
string(REGEX REPLACE "^RingAttn_DIR:[A-Z]+=" "" found "${found}")
get_filename_component(found "${found}" REALPATH)
get_filename_component(expected_dir "${expected_dir}" REALPATH)
if(NOT found STREQUAL expected_dir)
  message(FATAL_ERROR "packaging: the consumer found RingAttn in "
    "'${found}', not in '${expected_dir}'")
endif()

run("build the consumer" "${CMAKE_COMMAND}" --build "${consumer}" -j2)
run("run the consumer" "${consumer}/ringattn-consumer")
