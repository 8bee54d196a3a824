# cmake/dependencies.cmake: finds the library's dependencies the same way in every consumption route (this file is also
# installed and included by mistral-cppConfig.cmake, with MISTRAL_FIND_DEPENDENCY set to
# find_dependency).
#
#   Boost.JSON  - its CMake config (Boost >= 1.81).
#   cpp-httplib - its CMake config (upstream installs, vcpkg) when present, else pkg-config
#                 `cpp-httplib` (Debian/Ubuntu ship only a .pc), wrapped as httplib::httplib.
#   OpenSSL     - CMake's FindOpenSSL, when MISTRAL_ENABLE_OPENSSL is on.
if(NOT DEFINED MISTRAL_FIND_DEPENDENCY)
    set(MISTRAL_FIND_DEPENDENCY find_package)
endif()

macro(_mistral_find)
    cmake_language(CALL ${MISTRAL_FIND_DEPENDENCY} ${ARGN})
endmacro()

_mistral_find(Threads REQUIRED)
_mistral_find(Boost 1.81 CONFIG REQUIRED COMPONENTS json)

set(MISTRAL_HTTPLIB_FROM_PKGCONFIG OFF)
if(NOT TARGET httplib::httplib)
    find_package(httplib CONFIG QUIET)
    if(NOT httplib_FOUND)
        find_package(PkgConfig QUIET)
        if(PkgConfig_FOUND)
            pkg_check_modules(mistral_httplib QUIET IMPORTED_TARGET cpp-httplib)
        endif()
        if(NOT mistral_httplib_FOUND)
            set(_mistral_httplib_message
                "cpp-httplib not found: install it with its CMake package (vcpkg, upstream) or its pkg-config file (Debian: libcpp-httplib-dev)")
            if(MISTRAL_FIND_DEPENDENCY STREQUAL "find_dependency")
                set(mistral-cpp_NOT_FOUND_MESSAGE "${_mistral_httplib_message}")
                set(mistral-cpp_FOUND FALSE)
                return()
            endif()
            message(FATAL_ERROR "${_mistral_httplib_message}")
        endif()
        add_library(httplib::httplib INTERFACE IMPORTED)
        target_link_libraries(httplib::httplib INTERFACE PkgConfig::mistral_httplib)
        set(MISTRAL_HTTPLIB_FROM_PKGCONFIG ON)
    endif()
endif()

if(MISTRAL_ENABLE_OPENSSL)
    _mistral_find(OpenSSL 3.0 REQUIRED COMPONENTS SSL Crypto)
endif()
