// mistral/core.hpp: everything but the default transport (no httplib.h).
// SPDX-License-Identifier: MIT
//
// Everything but the default transport: value types, JSON conversions, the SSE parser, the
// client template, retries and the stream accumulator. Include this instead of mistral.hpp in
// code that uses a custom transport or basic_client<any_transport>, so it never pays for
// httplib.h.
#pragma once

#include "client.hpp"
#include "endpoints.hpp"
#include "error.hpp"
#include "exchange.hpp"
#include "history.hpp"
#include "http.hpp"
#include "json.hpp"
#include "options.hpp"
#include "retry.hpp"
#include "sse.hpp"
#include "stop_token.hpp"
#include "stream.hpp"
#include "structured.hpp"
#include "tools.hpp"
#include "transport.hpp"
#include "types.hpp"
#include "usage.hpp"
#include "version.hpp"
