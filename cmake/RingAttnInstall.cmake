# SPDX-License-Identifier: Apache-2.0 WITH LLVM-exception
# Installation and the RingAttn CMake package (docs/Packaging.md).
#
# `cmake --install build --prefix P` puts the headers in P/include, the
# libraries in P/lib, ring-opt and ring-run in P/bin and the package in
# P/lib/cmake/RingAttn, so that a consumer writes only
#
#   find_package(RingAttn REQUIRED CONFIG)
#   target_link_libraries(app PRIVATE RingAttn::RingAttnPipelines)
#
# The same package is written for the build tree (build/lib/cmake/RingAttn),
# so RingAttn_DIR may also point there. Modelled on CIRCT's
# cmake/modules/CMakeLists.txt: one export set, a config file that finds
# MLIR itself.
#
# Included from the top-level CMakeLists.txt after lib/ and tools/, so that
# the libraries' own CMakeLists.txt need not know about installation.

include(CMakePackageConfigHelpers)

set(RINGATTN_INSTALL_LIBDIR "lib${LLVM_LIBDIR_SUFFIX}")
set(RINGATTN_INSTALL_PACKAGE_DIR "${RINGATTN_INSTALL_LIBDIR}/cmake/RingAttn")
set(RINGATTN_BUILD_PACKAGE_DIR "${PROJECT_BINARY_DIR}/lib/cmake/RingAttn")

# The compiler libraries (add_mlir_library: static, linked against
# libMLIR.so) and the plain C++ ones.
set(RINGATTN_MLIR_LIBRARIES
  MLIRRing MLIRRingTransforms RingAttnConversion RingAttnAttentionIR RingAttnCPUConversion
  RingAttnGPUConversion RingAttnTransforms
  RingAttnPipelines RingAttnExecutionEngine
  RingAttnCAPI RingAttnCompiler)
set(RINGATTN_RUNTIME_LIBRARIES RingAttnSupport RingAttnRuntime
  RingAttnRuntimeGPU)
if(TARGET RingAttnRuntimeMPI)
  list(APPEND RINGATTN_RUNTIME_LIBRARIES RingAttnRuntimeMPI)
endif()
set(RINGATTN_TOOLS ring-opt ring-run)

# The runtime libraries name the source include directory as a plain path,
# which an exported target may not carry; the same path wrapped in
# $<BUILD_INTERFACE:...> builds exactly as before, and the installed
# targets get P/include instead.
foreach(lib ${RINGATTN_RUNTIME_LIBRARIES})
  get_target_property(dirs ${lib} INTERFACE_INCLUDE_DIRECTORIES)
  if(dirs)
    set(wrapped "$<INSTALL_INTERFACE:include>")
    foreach(dir ${dirs})
      if(dir STREQUAL "${PROJECT_SOURCE_DIR}/include")
        list(APPEND wrapped "$<BUILD_INTERFACE:${dir}>")
      else()
        list(APPEND wrapped "${dir}")
      endif()
    endforeach()
    set_property(TARGET ${lib} PROPERTY INTERFACE_INCLUDE_DIRECTORIES
      "${wrapped}")
  endif()
endforeach()

# The runtime libraries' run paths are set with them (lib/Runtime). The tools
# find them in ../lib, and libMLIR.so, libLLVM.so and MPI where they were
# linked from (the installed tree has no copy of those).
foreach(tool ${RINGATTN_TOOLS})
  set_property(TARGET ${tool} PROPERTY INSTALL_RPATH_USE_LINK_PATH ON)
endforeach()

# add_mlir_library already installs its archive (into MLIR's export set,
# which this project never writes); this rule puts the same files into
# RingAttn's own.
install(TARGETS ${RINGATTN_MLIR_LIBRARIES} ${RINGATTN_RUNTIME_LIBRARIES}
  ${RINGATTN_TOOLS}
  EXPORT RingAttnTargets
  COMPONENT ringattn
  ARCHIVE DESTINATION "${RINGATTN_INSTALL_LIBDIR}"
  LIBRARY DESTINATION "${RINGATTN_INSTALL_LIBDIR}"
  RUNTIME DESTINATION bin
  )

# Public headers: the sources, the C API and what TableGen generated.
install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/RingAttn"
  "${PROJECT_SOURCE_DIR}/include/RingAttn-c"
  "${PROJECT_BINARY_DIR}/include/RingAttn"
  DESTINATION include
  COMPONENT ringattn
  FILES_MATCHING
  PATTERN "*.h"
  PATTERN "*.def"
  PATTERN "*.inc"
  PATTERN "*.td"
  PATTERN "CMakeFiles" EXCLUDE
  )

# The package: targets, config and version, for the install tree...
install(EXPORT RingAttnTargets
  NAMESPACE RingAttn::
  DESTINATION "${RINGATTN_INSTALL_PACKAGE_DIR}"
  COMPONENT ringattn
  )

set(RINGATTN_CONFIG_MLIR_DIR "${MLIR_DIR}")
set(RINGATTN_CONFIG_LLVM_VERSION_MAJOR "${LLVM_VERSION_MAJOR}")
set(RINGATTN_CONFIG_ENABLE_MPI "${RINGATTN_ENABLE_MPI}")
set(RINGATTN_CONFIG_MLIR_LIBRARIES "${RINGATTN_MLIR_LIBRARIES}")

set(RINGATTN_CONFIG_INCLUDE_DIRS "\${PACKAGE_PREFIX_DIR}/include")
set(RINGATTN_CONFIG_TOOLS_DIR "\${PACKAGE_PREFIX_DIR}/bin")
configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/RingAttnConfig.cmake.in"
  "${PROJECT_BINARY_DIR}/cmake/install/RingAttnConfig.cmake"
  INSTALL_DESTINATION "${RINGATTN_INSTALL_PACKAGE_DIR}"
  )

# The version of the package is the LLVM/MLIR release it is built for.
write_basic_package_version_file(
  "${RINGATTN_BUILD_PACKAGE_DIR}/RingAttnConfigVersion.cmake"
  VERSION "${LLVM_VERSION_MAJOR}.${LLVM_VERSION_MINOR}"
  COMPATIBILITY SameMajorVersion
  )
install(FILES
  "${PROJECT_BINARY_DIR}/cmake/install/RingAttnConfig.cmake"
  "${RINGATTN_BUILD_PACKAGE_DIR}/RingAttnConfigVersion.cmake"
  DESTINATION "${RINGATTN_INSTALL_PACKAGE_DIR}"
  COMPONENT ringattn
  )

# ...and for the build tree.
export(EXPORT RingAttnTargets
  NAMESPACE RingAttn::
  FILE "${RINGATTN_BUILD_PACKAGE_DIR}/RingAttnTargets.cmake"
  )
set(RINGATTN_CONFIG_INCLUDE_DIRS
  "${PROJECT_SOURCE_DIR}/include;${PROJECT_BINARY_DIR}/include")
set(RINGATTN_CONFIG_TOOLS_DIR "${RINGATTN_TOOLS_DIR}")
configure_package_config_file(
  "${CMAKE_CURRENT_LIST_DIR}/RingAttnConfig.cmake.in"
  "${RINGATTN_BUILD_PACKAGE_DIR}/RingAttnConfig.cmake"
  INSTALL_DESTINATION "${RINGATTN_BUILD_PACKAGE_DIR}"
  INSTALL_PREFIX "${PROJECT_BINARY_DIR}"
  )
