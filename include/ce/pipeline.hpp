#pragma once
/**
 * @file
 * A request pipeline in the style of ASGI/Starlette middleware: each layer receives the
 * request and `next`, the rest of the chain, and decides whether, when and how often to
 * call it. The chain is composed once, when the pipeline is constructed; handling a
 * request only calls through it.
 *
 * The first layer in the list is the outermost: it sees the request first and the
 * response last, as in `Starlette(middleware=[...])`:
 *
 * @snippet design_patterns/middleware.cpp endpoint
 *
 * A layer that answers without calling `next` short-circuits the rest of the chain:
 *
 * @snippet design_patterns/middleware.cpp auth-layer
 */

#include <ce/error.hpp>

#include <functional>
#include <string>
#include <utility>
#include <vector>

namespace ce {

/**
 * A chain of middleware layers around an endpoint, built once at construction.
 *
 * Calling the pipeline is `const` and allocates nothing beyond what the layers and the
 * endpoint do; it is as thread-safe as they are. Copies share nothing mutable of their
 * own (each copy holds its own copies of the layers).
 *
 * @tparam Request what a layer receives; passed by non-const reference so an outer
 *         layer can annotate it (an authenticated user, a request id) for inner ones.
 * @tparam Response what every layer and the endpoint return.
 */
template <class Request, class Response>
class pipeline {
public:
    /// The endpoint's signature, and the type of `next` inside a layer.
    using handler = std::function<Response(Request&)>;

    /// A layer: returns a response, usually by calling `next` (zero, one or more times).
    using layer = std::function<Response(Request& request, const handler& next)>;

    /**
     * Composes `layers` around `endpoint`; `layers.front()` becomes the outermost.
     * @throws ce::usage_error if `endpoint` or any layer is empty.
     */
    pipeline(std::vector<layer> layers, handler endpoint) : chain_(std::move(endpoint)) {
        if (!chain_) {
            throw usage_error("ce::pipeline: the endpoint is empty");
        }
        // Innermost first: each layer captures the chain built so far as its `next`.
        for (auto it = layers.rbegin(); it != layers.rend(); ++it) {
            if (!*it) {
                throw usage_error("ce::pipeline: layer " + std::to_string(layers.rend() - it - 1) +
                                  " is empty");
            }
            chain_ = [outer = std::move(*it), next = std::move(chain_)](Request& request) {
                return outer(request, next);
            };
        }
    }

    /// Passes `request` through every layer to the endpoint and returns the response.
    Response operator()(Request& request) const { return chain_(request); }

private:
    handler chain_;
};

}  // namespace ce
