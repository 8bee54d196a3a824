// mistral/version.hpp: the library version, as macros.
// SPDX-License-Identifier: MIT
#pragma once

/// The library version, as numbers for `#if` tests and as a string for messages.
/// MISTRAL_CPP_VERSION is MAJOR * 10000 + MINOR * 100 + PATCH (0.1.0 is 100), so
/// `#if MISTRAL_CPP_VERSION >= 100` works in the preprocessor.
#define MISTRAL_CPP_VERSION_MAJOR 0
#define MISTRAL_CPP_VERSION_MINOR 2
#define MISTRAL_CPP_VERSION_PATCH 0
#define MISTRAL_CPP_VERSION                                                \
    (MISTRAL_CPP_VERSION_MAJOR * 10000 + MISTRAL_CPP_VERSION_MINOR * 100 + \
     MISTRAL_CPP_VERSION_PATCH)
#define MISTRAL_CPP_VERSION_STRING "0.2.0"
