# ports/mistral-cpp/portfile.cmake: overlay port of mistral-cpp (header-only). It builds the checkout it belongs to, so a project
# that vendors mistral-cpp (or a clone of it) uses it with --overlay-ports=<checkout>/ports.
# For a registry port, replace SOURCE_PATH with vcpkg_from_github(... REF "v${VERSION}" SHA512 ...).
set(VCPKG_BUILD_TYPE release)  # header-only: one configuration is enough
get_filename_component(SOURCE_PATH "${CMAKE_CURRENT_LIST_DIR}/../.." ABSOLUTE)

vcpkg_cmake_configure(
    SOURCE_PATH "${SOURCE_PATH}"
    OPTIONS
        -DMISTRAL_BUILD_TESTS=OFF
        -DMISTRAL_BUILD_EXAMPLES=OFF
        -DMISTRAL_BUILD_BENCHMARKS=OFF
        -DMISTRAL_BUILD_CLI=OFF
        -DMISTRAL_INSTALL=ON
        -DMISTRAL_ENABLE_OPENSSL=ON
        -DMISTRAL_PKGCONFIG_INSTALL_DIR=lib/pkgconfig
)
vcpkg_cmake_install()
vcpkg_cmake_config_fixup(PACKAGE_NAME mistral-cpp CONFIG_PATH share/cmake/mistral-cpp)
vcpkg_fixup_pkgconfig()

vcpkg_install_copyright(FILE_LIST "${SOURCE_PATH}/LICENSE")
file(INSTALL "${CMAKE_CURRENT_LIST_DIR}/usage" DESTINATION "${CURRENT_PACKAGES_DIR}/share/${PORT}")
