// mistral_compiled_asio.cpp: the second translation unit of mistral::compiled (CMake) and
// mistral-cpp-compiled (Meson): the Asio client (asio.hpp), compiled once, where Boost.Beast is
// installed. A program that does not use it links none of it.
#if __has_include(<boost/beast/core.hpp>)
#include <mistral/asio.hpp>
#include <mistral/impl/asio_client.hpp>
#endif
