// mistral-cpp: a header-only C++20 client for the Mistral AI Chat Completion API.
// SPDX-License-Identifier: MIT
//
// What most programs include: the whole library and the default transport over cpp-httplib.
//
//     #include <mistral/mistral.hpp>
//     mistral::client client;                       // API key from MISTRAL_API_KEY
//     auto r = client.chat({.model = "mistral-small-latest", .messages = {mistral::user("Hi")}});
#pragma once

#include "core.hpp"
#include "httplib_transport.hpp"

namespace mistral {

/// The client over the default transport. See basic_client in client.hpp.
using client = basic_client<httplib_transport>;

}  // namespace mistral
