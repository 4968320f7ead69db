"""The Python idiom that design_patterns/middleware.cpp replaces, run by the build.

The region is what the page shows; the checks below it make the build fail if the
idiom ever stops behaving as the page says. Requests go through Starlette's in-process
TestClient; no socket is opened.
"""

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

endpoint_calls = []
seen_by_map_errors = []  # the status of each response MapErrors got from call_next


async def orders(request):
    endpoint_calls.append(request.url.path)
    if "quantity" in request.query_params and not request.query_params["quantity"].isdigit():
        raise ValueError("quantity must be a number")
    return PlainTextResponse("2 orders")


routes = [Route("/orders", orders)]


class MapErrors(BaseHTTPMiddleware):
    """Turns a ValueError raised further in into a 400 response."""

    async def dispatch(self, request, call_next):
        try:
            response = await call_next(request)
        except ValueError as e:
            seen_by_map_errors.append("ValueError")
            return PlainTextResponse(str(e), status_code=400)
        seen_by_map_errors.append(response.status_code)
        return response


# [python-idiom]
class RequireUser(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        if "authorization" not in request.headers:
            return Response("unauthorized", status_code=401)   # call_next never runs
        return await call_next(request)

app = Starlette(routes=routes,
                middleware=[Middleware(MapErrors), Middleware(RequireUser)])
# [python-idiom]

assert app.middleware_stack is None  # nothing is built yet
client = TestClient(app)
user = {"authorization": "Bearer ada"}

# No credentials: 401, and the endpoint never ran.
response = client.get("/orders")
assert (response.status_code, response.text) == (401, "unauthorized")
assert endpoint_calls == []
stack = app.middleware_stack
assert stack is not None  # built on the first call

# With credentials the request reaches the endpoint.
response = client.get("/orders", headers=user)
assert (response.status_code, response.text) == (200, "2 orders")
assert endpoint_calls == ["/orders"]

# The endpoint's exception passes through RequireUser and becomes a 400 in MapErrors.
response = client.get("/orders", params={"quantity": "two"}, headers=user)
assert (response.status_code, response.text) == (400, "quantity must be a number")

# The first entry is outermost: MapErrors saw RequireUser's 401 as well as the rest.
assert seen_by_map_errors == [401, 200, "ValueError"], seen_by_map_errors
assert app.middleware_stack is stack  # built once, reused by every later request
