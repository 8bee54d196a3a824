// mistral/mistral.hpp: the umbrella header: the whole library and the default transport.
// SPDX-License-Identifier: MIT
//
// What most programs include: the whole library and the default transport over cpp-httplib.
//
//     #include <mistral/mistral.hpp>
//     mistral::client client;                       // API key from MISTRAL_API_KEY
//     auto r = client.chat({.model = "mistral-small-latest", .messages = {mistral::user("Hi")}});
#pragma once

#include "core.hpp"
#include "detail/config.hpp"
#include "httplib_transport.hpp"

MISTRAL_NAMESPACE_BEGIN

/// The client over the default transport. See basic_client in client.hpp.
using client = basic_client<httplib_transport>;

#ifdef MISTRAL_SEPARATE_COMPILATION
extern template class basic_client<httplib_transport>;  // compiled in src.hpp's translation unit
#endif

MISTRAL_NAMESPACE_END
