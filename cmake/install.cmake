# cmake/install.cmake: install rules: headers, the exported target, a relocatable package config with its version
# file, and a pkg-config file. Paths are relative to the install prefix (vcpkg requires it).
include(CMakePackageConfigHelpers)

set(MISTRAL_CMAKE_INSTALL_DIR "${CMAKE_INSTALL_DATADIR}/cmake/mistral-cpp"
    CACHE STRING "Where mistral-cppConfig.cmake is installed, relative to the prefix")
# A header-only package installs nothing architecture-specific: its .pc goes to share/pkgconfig
# (vcpkg's port moves it to lib/pkgconfig, as vcpkg wants any .pc with Libs there).
set(MISTRAL_PKGCONFIG_INSTALL_DIR "${CMAKE_INSTALL_DATADIR}/pkgconfig"
    CACHE STRING "Where mistral-cpp.pc is installed, relative to the prefix")

install(DIRECTORY "${PROJECT_SOURCE_DIR}/include/mistral" DESTINATION "${CMAKE_INSTALL_INCLUDEDIR}")
install(TARGETS mistral EXPORT mistral-cppTargets)
install(EXPORT mistral-cppTargets NAMESPACE mistral:: DESTINATION "${MISTRAL_CMAKE_INSTALL_DIR}")

configure_package_config_file("${PROJECT_SOURCE_DIR}/cmake/mistral-cppConfig.cmake.in"
    "${PROJECT_BINARY_DIR}/mistral-cppConfig.cmake"
    INSTALL_DESTINATION "${MISTRAL_CMAKE_INSTALL_DIR}")
# 0.x: a minor version may break the API, so only the same minor version is compatible.
write_basic_package_version_file("${PROJECT_BINARY_DIR}/mistral-cppConfigVersion.cmake"
    COMPATIBILITY SameMinorVersion ARCH_INDEPENDENT)
install(FILES
    "${PROJECT_BINARY_DIR}/mistral-cppConfig.cmake"
    "${PROJECT_BINARY_DIR}/mistral-cppConfigVersion.cmake"
    "${PROJECT_SOURCE_DIR}/cmake/dependencies.cmake"
    "${PROJECT_SOURCE_DIR}/cmake/compiled.cmake"
    "${PROJECT_SOURCE_DIR}/cmake/mistral_compiled.cpp"
    "${PROJECT_SOURCE_DIR}/cmake/mistral_compiled_asio.cpp"
    DESTINATION "${MISTRAL_CMAKE_INSTALL_DIR}")

# pkg-config: Boost ships no .pc, so Boost.JSON is linked by name. cpp-httplib is required by
# name only when it was found through pkg-config (vcpkg's httplib installs no .pc).
set(MISTRAL_PC_REQUIRES "")
set(MISTRAL_PC_CFLAGS "")
set(MISTRAL_PC_LIBS "-lboost_json -pthread")
if(MISTRAL_HTTPLIB_FROM_PKGCONFIG)
    list(APPEND MISTRAL_PC_REQUIRES cpp-httplib)
endif()
if(MISTRAL_ENABLE_OPENSSL)
    list(APPEND MISTRAL_PC_REQUIRES openssl)
    set(MISTRAL_PC_CFLAGS "-DCPPHTTPLIB_OPENSSL_SUPPORT")
endif()
list(JOIN MISTRAL_PC_REQUIRES ", " MISTRAL_PC_REQUIRES)
# Relocatable: the prefix is found from the .pc file's own location.
file(RELATIVE_PATH MISTRAL_PC_PREFIX_FROM_PCFILEDIR "/prefix/${MISTRAL_PKGCONFIG_INSTALL_DIR}" "/prefix")
configure_file("${PROJECT_SOURCE_DIR}/cmake/mistral-cpp.pc.in" "${PROJECT_BINARY_DIR}/mistral-cpp.pc" @ONLY)
install(FILES "${PROJECT_BINARY_DIR}/mistral-cpp.pc" DESTINATION "${MISTRAL_PKGCONFIG_INSTALL_DIR}")

install(FILES "${PROJECT_SOURCE_DIR}/LICENSE" DESTINATION "${CMAKE_INSTALL_DATADIR}/doc/mistral-cpp")
