# cmake --install: the layout an embedder or a package sees (docs/EMBEDDING.md).
#   bin/atoll                              the CLI
#   lib/libatoll.so.0.1.0 (.so.0, .so)     the runtime for embedders (no LLVM), libatoll.a
#   lib/libatoll-compiler.so               the compiler plugin (LLVM), loaded on first compile
#   libexec/atoll/atoll-compile-worker     compiles under a budget in a process of its own
#   include/atoll/*.h                      the public headers, and nothing else
#   lib/cmake/atoll/                       find_package(atoll CONFIG): atoll::runtime, atoll::compiler
#   lib/pkgconfig/atoll.pc                 pkg-config --cflags --libs atoll
# Components: "runtime" (what running needs) and "dev" (headers, static library, CMake and
# pkg-config files), which the Debian packages follow.
include(CMakePackageConfigHelpers)
set(atoll_cmake_dir ${CMAKE_INSTALL_LIBDIR}/cmake/atoll)

install(TARGETS atoll RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR} COMPONENT runtime)
install(TARGETS atoll-compile-worker RUNTIME DESTINATION ${CMAKE_INSTALL_LIBEXECDIR}/atoll COMPONENT runtime)
install(TARGETS atoll-compiler LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_SKIP)
install(TARGETS atoll_shared EXPORT atollTargets
        LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT runtime NAMELINK_COMPONENT dev)
install(TARGETS atoll_static EXPORT atollTargets ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR} COMPONENT dev)
install(DIRECTORY ${CMAKE_SOURCE_DIR}/include/atoll DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev
        FILES_MATCHING PATTERN "*.h")
install(FILES ${CMAKE_SOURCE_DIR}/include/wasm.h ${CMAKE_SOURCE_DIR}/include/atoll_c.h DESTINATION ${CMAKE_INSTALL_INCLUDEDIR} COMPONENT dev)
install(FILES ${CMAKE_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DATADIR}/doc/atoll COMPONENT runtime)
install(EXPORT atollTargets NAMESPACE atoll:: DESTINATION ${atoll_cmake_dir} COMPONENT dev)

configure_package_config_file(${CMAKE_SOURCE_DIR}/cmake/atoll-config.cmake.in
                              ${CMAKE_BINARY_DIR}/atoll-config.cmake INSTALL_DESTINATION ${atoll_cmake_dir}
                              PATH_VARS CMAKE_INSTALL_LIBDIR)
write_basic_package_version_file(${CMAKE_BINARY_DIR}/atoll-config-version.cmake COMPATIBILITY SameMajorVersion)
install(FILES ${CMAKE_BINARY_DIR}/atoll-config.cmake ${CMAKE_BINARY_DIR}/atoll-config-version.cmake
        DESTINATION ${atoll_cmake_dir} COMPONENT dev)
file(RELATIVE_PATH ATOLL_PC_TO_PREFIX ${CMAKE_INSTALL_FULL_LIBDIR}/pkgconfig ${CMAKE_INSTALL_PREFIX})
configure_file(${CMAKE_SOURCE_DIR}/cmake/atoll.pc.in ${CMAKE_BINARY_DIR}/atoll.pc @ONLY)
install(FILES ${CMAKE_BINARY_DIR}/atoll.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig COMPONENT dev)
