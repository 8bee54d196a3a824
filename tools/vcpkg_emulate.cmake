# tools/vcpkg_emulate.cmake: runs the real ports/mistral-cpp/portfile.cmake without vcpkg (which cannot run offline): the
# vcpkg helpers it calls are replaced by stand-ins that do what vcpkg does for a header-only
# CMake port, then the staged package is checked with vcpkg's post-build rules.
#
#   cmake -DSOURCE_DIR=<checkout> -DSTAGING=<empty dir> -P tools/vcpkg_emulate.cmake
#
# Result: ${STAGING}/packages/mistral-cpp_x64-linux, usable with CMAKE_PREFIX_PATH.
cmake_minimum_required(VERSION 3.21)

# ---- vcpkg.json: well-formed and complete ---------------------------------------------------
set(PORT_DIR "${SOURCE_DIR}/ports/mistral-cpp")
file(READ "${PORT_DIR}/vcpkg.json" manifest)
string(JSON PORT GET "${manifest}" name)
string(JSON VERSION GET "${manifest}" version-semver)
foreach(field description homepage license dependencies)
    string(JSON value ERROR_VARIABLE missing GET "${manifest}" ${field})
    if(missing)
        message(FATAL_ERROR "vcpkg.json: missing \"${field}\"")
    endif()
endforeach()
if(NOT PORT STREQUAL "mistral-cpp")
    message(FATAL_ERROR "vcpkg.json: the port must be named mistral-cpp, not ${PORT}")
endif()
file(STRINGS "${SOURCE_DIR}/include/mistral/version.hpp" header_version REGEX "MISTRAL_CPP_VERSION_STRING")
string(REGEX MATCH "\"([^\"]+)\"" _ "${header_version}")
if(NOT VERSION STREQUAL CMAKE_MATCH_1)
    message(FATAL_ERROR "vcpkg.json version ${VERSION} differs from version.hpp ${CMAKE_MATCH_1}")
endif()
string(JSON dependency_count LENGTH "${manifest}" dependencies)
math(EXPR last "${dependency_count} - 1")
set(seen "")
foreach(i RANGE ${last})
    string(JSON kind TYPE "${manifest}" dependencies ${i})
    if(kind STREQUAL "STRING")
        string(JSON name GET "${manifest}" dependencies ${i})
    else()
        string(JSON name GET "${manifest}" dependencies ${i} name)
        string(JSON features ERROR_VARIABLE no_features GET "${manifest}" dependencies ${i} features)
        if(name STREQUAL "cpp-httplib" AND (no_features OR NOT features MATCHES "openssl"))
            message(FATAL_ERROR "vcpkg.json: cpp-httplib must be asked for with its openssl feature")
        endif()
        string(JSON host ERROR_VARIABLE no_host GET "${manifest}" dependencies ${i} host)
        if(name MATCHES "^vcpkg-cmake" AND (no_host OR NOT host))
            message(FATAL_ERROR "vcpkg.json: ${name} must be a host dependency")
        endif()
    endif()
    list(APPEND seen ${name})
endforeach()
foreach(required boost-json cpp-httplib openssl vcpkg-cmake vcpkg-cmake-config)
    if(NOT required IN_LIST seen)
        message(FATAL_ERROR "vcpkg.json: missing dependency ${required}")
    endif()
endforeach()

# ---- stand-ins for the vcpkg helpers --------------------------------------------------------
set(TARGET_TRIPLET x64-linux)
set(CURRENT_PACKAGES_DIR "${STAGING}/packages/${PORT}_${TARGET_TRIPLET}")
set(CURRENT_BUILDTREES_DIR "${STAGING}/buildtrees/${PORT}")
file(REMOVE_RECURSE "${STAGING}")
file(MAKE_DIRECTORY "${CURRENT_PACKAGES_DIR}" "${CURRENT_BUILDTREES_DIR}")

function(vcpkg_cmake_configure)
    cmake_parse_arguments(PARSE_ARGV 0 arg "" "SOURCE_PATH" "OPTIONS")
    # The cache variables vcpkg_cmake_configure passes (ports/vcpkg-cmake/vcpkg_cmake_configure.cmake).
    execute_process(COMMAND ${CMAKE_COMMAND} -S "${arg_SOURCE_PATH}" -B "${CURRENT_BUILDTREES_DIR}/rel" -G Ninja
            "-DCMAKE_INSTALL_PREFIX=${CURRENT_PACKAGES_DIR}" -DCMAKE_BUILD_TYPE=Release
            -DCMAKE_INSTALL_LIBDIR=lib -DCMAKE_INSTALL_BINDIR=bin -DFETCHCONTENT_FULLY_DISCONNECTED=ON
            -DCMAKE_ERROR_ON_ABSOLUTE_INSTALL_DESTINATION=ON -DCMAKE_EXPORT_NO_PACKAGE_REGISTRY=ON
            -DCMAKE_FIND_PACKAGE_NO_PACKAGE_REGISTRY=ON ${arg_OPTIONS}
        COMMAND_ERROR_IS_FATAL ANY OUTPUT_QUIET)
endfunction()

function(vcpkg_cmake_install)
    execute_process(COMMAND ${CMAKE_COMMAND} --build "${CURRENT_BUILDTREES_DIR}/rel" --target install
        COMMAND_ERROR_IS_FATAL ANY OUTPUT_QUIET)
endfunction()

# Moves the package configuration to share/<package> and fixes the relative prefix computations
# for the new depth, as vcpkg_cmake_config_fixup does.
function(vcpkg_cmake_config_fixup)
    cmake_parse_arguments(PARSE_ARGV 0 arg "" "PACKAGE_NAME;CONFIG_PATH" "")
    set(from "${CURRENT_PACKAGES_DIR}/${arg_CONFIG_PATH}")
    set(to "${CURRENT_PACKAGES_DIR}/share/${arg_PACKAGE_NAME}")
    if(NOT EXISTS "${from}")
        message(FATAL_ERROR "vcpkg_cmake_config_fixup: ${arg_CONFIG_PATH} does not exist")
    endif()
    file(GLOB files "${from}/*")
    file(MAKE_DIRECTORY "${to}")
    string(REPLACE "/" ";" parts "${arg_CONFIG_PATH}")
    list(LENGTH parts old_depth)
    foreach(f IN LISTS files)
        get_filename_component(name "${f}" NAME)
        file(READ "${f}" text)
        # Targets files climb with one get_filename_component(... PATH) per level: from
        # old_depth levels (share/cmake/<package>) to the two of share/<package>.
        set(climb "get_filename_component(_IMPORT_PREFIX \"\${_IMPORT_PREFIX}\" PATH)\n")
        string(REPEAT "${climb}" ${old_depth} old_climb)
        string(REPLACE "${old_climb}" "${climb}${climb}" text "${text}")
        string(REPLACE "\${CMAKE_CURRENT_LIST_DIR}/../../../" "\${CMAKE_CURRENT_LIST_DIR}/../../" text "${text}")
        file(WRITE "${to}/${name}" "${text}")
    endforeach()
    file(REMOVE_RECURSE "${from}")
    file(REMOVE_RECURSE "${CURRENT_PACKAGES_DIR}/share/cmake")
endfunction()

function(vcpkg_fixup_pkgconfig)
    file(GLOB_RECURSE pc_files "${CURRENT_PACKAGES_DIR}/*.pc")
    foreach(pc IN LISTS pc_files)
        set(ENV{PKG_CONFIG_PATH} "${CURRENT_PACKAGES_DIR}/lib/pkgconfig")
        get_filename_component(module "${pc}" NAME_WE)
        execute_process(COMMAND pkg-config --exists --print-errors "${module}" RESULT_VARIABLE rc ERROR_VARIABLE err)
        if(NOT rc EQUAL 0)
            message(FATAL_ERROR "vcpkg_fixup_pkgconfig: pkg-config --exists ${module} failed: ${err}")
        endif()
    endforeach()
endfunction()

function(vcpkg_install_copyright)
    cmake_parse_arguments(PARSE_ARGV 0 arg "" "" "FILE_LIST")
    file(MAKE_DIRECTORY "${CURRENT_PACKAGES_DIR}/share/${PORT}")
    file(COPY_FILE "${arg_FILE_LIST}" "${CURRENT_PACKAGES_DIR}/share/${PORT}/copyright")
endfunction()

# ---- the real portfile ----------------------------------------------------------------------
set(CMAKE_CURRENT_LIST_DIR "${PORT_DIR}")
include("${PORT_DIR}/portfile.cmake")

# ---- vcpkg's post-build checks for a header-only port ---------------------------------------
function(lint_fail what)
    message(FATAL_ERROR "vcpkg post-build check: ${what}")
endfunction()
foreach(forbidden debug/include debug/share lib/cmake share/cmake bin)
    if(EXISTS "${CURRENT_PACKAGES_DIR}/${forbidden}")
        lint_fail("${forbidden} must not exist")
    endif()
endforeach()
foreach(required share/${PORT}/copyright share/${PORT}/usage share/${PORT}/mistral-cppConfig.cmake
                 share/${PORT}/mistral-cppConfigVersion.cmake include/mistral/mistral.hpp lib/pkgconfig/mistral-cpp.pc)
    if(NOT EXISTS "${CURRENT_PACKAGES_DIR}/${required}")
        lint_fail("${required} is missing")
    endif()
endforeach()
file(GLOB_RECURSE everything LIST_DIRECTORIES true "${CURRENT_PACKAGES_DIR}/*")
foreach(path IN LISTS everything)
    if(IS_DIRECTORY "${path}")
        file(GLOB entries "${path}/*")
        if(NOT entries)
            lint_fail("empty directory ${path}")
        endif()
    else()
        file(READ "${path}" text)
        foreach(absolute "${STAGING}" "${SOURCE_DIR}")
            string(FIND "${text}" "${absolute}" at)
            if(NOT at EQUAL -1)
                lint_fail("${path} contains the absolute path ${absolute}")
            endif()
        endforeach()
        if(path MATCHES "\\.pc$" AND NOT path MATCHES "/lib/pkgconfig/")
            lint_fail("${path}: a .pc with Libs must be in lib/pkgconfig")
        endif()
    endif()
endforeach()
message(STATUS "vcpkg port ${PORT} ${VERSION} staged in ${CURRENT_PACKAGES_DIR}")
