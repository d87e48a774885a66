"""Swagger UI (/docs), ReDoc (/redoc) and GraphiQL served from files shipped in the package.

The pages must work on a municipal network without internet access, so nothing is loaded from a CDN:
the assets are vendored under `service/static/vendor/` with their licences (refresh them with
`scripts/vendor-ui-assets`, which pins the versions).
"""

from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_redoc_html, get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles

STATIC_DIR = Path(__file__).parent / "static"
STATIC_PATH = "/static"
VENDOR = f"{STATIC_PATH}/vendor"
# A plain glyph as the icon: the framework's default icon lives on the internet.
FAVICON = ("data:image/svg+xml,%3Csvg xmlns='http://www.w3.org/2000/svg' viewBox='0 0 16 16'%3E"
           "%3Crect width='16' height='16' rx='3' fill='%23004b87'/%3E%3C/svg%3E")


def install_docs(app: FastAPI) -> None:
    """Mount the assets and add /docs, its OAuth2 redirect and /redoc (create the app with docs_url=None)."""
    app.mount(STATIC_PATH, StaticFiles(directory=STATIC_DIR), name="static")
    openapi_url = app.openapi_url or "/openapi.json"
    redirect_url = app.swagger_ui_oauth2_redirect_url or "/docs/oauth2-redirect"

    @app.get("/docs", include_in_schema=False)
    def swagger_ui(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_swagger_ui_html(
            openapi_url=root + openapi_url, title=f"{app.title} — Swagger UI", oauth2_redirect_url=root + redirect_url,
            swagger_js_url=f"{root}{VENDOR}/swagger-ui/swagger-ui-bundle.js",
            swagger_css_url=f"{root}{VENDOR}/swagger-ui/swagger-ui.css", swagger_favicon_url=FAVICON,
            # validatorUrl: Swagger UI would otherwise send the contract to a public validator.
            swagger_ui_parameters={"validatorUrl": None, "persistAuthorization": False})

    @app.get(redirect_url, include_in_schema=False)
    def swagger_ui_redirect() -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    @app.get("/redoc", include_in_schema=False)
    def redoc(request: Request) -> HTMLResponse:
        root = request.scope.get("root_path", "")
        return get_redoc_html(openapi_url=root + openapi_url, title=f"{app.title} — ReDoc",
                              redoc_js_url=f"{root}{VENDOR}/redoc/redoc.standalone.js", redoc_favicon_url=FAVICON,
                              with_google_fonts=False)


def graphiql_html(root_path: str = "") -> str:
    """GraphiQL on the vendored React and GraphiQL builds.

    Unlike the stock page it does not copy the operation into the URL (operations can name people, and
    URLs end up in browser history and proxy logs) and does not persist headers (they hold bearer tokens).
    """
    vendor = root_path + VENDOR
    return f"""<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Tværs — GraphiQL</title>
  <link rel="icon" href="{FAVICON}">
  <link rel="stylesheet" href="{vendor}/graphiql/graphiql.min.css">
  <style>body {{ margin: 0; }} #graphiql {{ height: 100vh; }}</style>
</head>
<body>
  <div id="graphiql">Loading…</div>
  <script src="{vendor}/react/react.production.min.js"></script>
  <script src="{vendor}/react-dom/react-dom.production.min.js"></script>
  <script src="{vendor}/graphiql/graphiql.min.js"></script>
  <script>
    const fetcher = GraphiQL.createFetcher({{ url: window.location.href.split("?")[0] }});
    ReactDOM.createRoot(document.getElementById("graphiql")).render(
      React.createElement(GraphiQL, {{
        fetcher: fetcher,
        defaultEditorToolsVisibility: true,
        isHeadersEditorEnabled: true,
        shouldPersistHeaders: false,
        defaultHeaders: '{{"Authorization": "Bearer <token from POST /api/v1/auth/token>"}}',
      }}),
    );
  </script>
</body>
</html>
"""
