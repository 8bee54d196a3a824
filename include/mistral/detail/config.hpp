// mistral/detail/config.hpp: what the library needs of the build (C++20, exceptions), and the
// versioned inline namespace every declaration lives in. Included by every header.
// SPDX-License-Identifier: MIT
#pragma once

#include "../version.hpp"

#if __cplusplus < 202002L && !(defined(_MSVC_LANG) && _MSVC_LANG >= 202002L)
#error "mistral-cpp needs C++20: compile with -std=c++20 (MSVC: /std:c++20 and /Zc:__cplusplus)"
#endif
#if !defined(__cpp_exceptions) && !defined(__EXCEPTIONS) && !defined(_CPPUNWIND)
#error "mistral-cpp reports every failure with an exception: compile without -fno-exceptions"
#endif

// Everything is declared in mistral::v<major>_<minor>_<patch>, an inline namespace: users write
// mistral::client, while two versions linked into one program have different symbols instead of
// silently breaking the one-definition rule.
#define MISTRAL_ABI_CONCAT_(a, b, c) v##a##_##b##_##c
#define MISTRAL_ABI_CONCAT(a, b, c) MISTRAL_ABI_CONCAT_(a, b, c)
#define MISTRAL_ABI_NAMESPACE                                                \
    MISTRAL_ABI_CONCAT(MISTRAL_CPP_VERSION_MAJOR, MISTRAL_CPP_VERSION_MINOR, \
                       MISTRAL_CPP_VERSION_PATCH)
#define MISTRAL_NAMESPACE_BEGIN \
    namespace mistral {         \
    inline namespace MISTRAL_ABI_NAMESPACE {
#define MISTRAL_NAMESPACE_END \
    }                         \
    }

// The library's functions that are not templates are declared MISTRAL_DECL: inline in a
// header-only build, where every translation unit that uses them compiles them; with
// MISTRAL_SEPARATE_COMPILATION, declared only, and defined once by <mistral/src.hpp> (as
// Boost.JSON's BOOST_JSON_DECL does). Their definitions are in impl/, which a header includes at
// its end unless MISTRAL_SEPARATE_COMPILATION is defined.
#ifdef MISTRAL_SEPARATE_COMPILATION
#define MISTRAL_DECL
#else
#define MISTRAL_DECL inline
#endif
