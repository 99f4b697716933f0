# cpack -G DEB (from the build directory): two Debian packages from the install components.
#   atoll      bin/atoll, libatoll.so.0, the compiler plugin, the compile worker, the license
#   atoll-dev  headers, libatoll.a, the libatoll.so link, CMake and pkg-config files
# Their dependencies (libllvm19 for the plugin, libc6, libstdc++6, ...) are read from the
# binaries by dpkg-shlibdeps; libsystemd0, which atoll serve loads with dlopen for sd_notify and
# socket activation, is recommended. scripts/package.sh builds them, tests/package checks them.
set(CPACK_PACKAGE_NAME atoll)
set(CPACK_PACKAGE_VENDOR "the atoll authors")
set(CPACK_PACKAGE_CONTACT "atoll maintainers <atoll@example.invalid>")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "WebAssembly sandboxing compiler and runtime")
set(CPACK_RESOURCE_FILE_LICENSE ${CMAKE_SOURCE_DIR}/LICENSE)
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_COMPONENTS_ALL runtime dev)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_PACKAGE_SECTION devel)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME atoll)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_SECTION interpreters)
set(CPACK_DEBIAN_RUNTIME_PACKAGE_RECOMMENDS "libsystemd0")
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION "WebAssembly sandboxing compiler and runtime
 atoll compiles WebAssembly ahead of time to native code and runs it in sandboxes inside one
 process: the atoll command (run, compile, serve, wast, inspect), libatoll.so and the compiler
 plugin (LLVM 19).")
set(CPACK_DEBIAN_DEV_PACKAGE_NAME atoll-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_DEPENDS "atoll (= ${PROJECT_VERSION})")
set(CPACK_COMPONENT_DEV_DESCRIPTION "WebAssembly sandboxing runtime: development files
 Headers (include/atoll), the static library, and the CMake package and pkg-config file for
 embedding atoll.")
include(CPack)
