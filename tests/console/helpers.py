"""Driving the console over HTTP like a browser: read the CSRF token from the page, post forms back."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient
from httpx import Response

from tests.api.helpers import PASSWORD

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_of(page: Response) -> str:
    found = _CSRF.search(page.text)
    assert found, page.text[:500]
    return found.group(1)


def post_form(client: TestClient, page_path: str, action: str, data: dict[str, str]) -> Response:
    """Open `page_path`, then submit a form to `action` with its CSRF token (as the page's form would)."""
    page = client.get(page_path)
    assert page.status_code == 200, page.text[:500]
    answer: Response = client.post(
        action,
        data={"csrf_token": csrf_of(page), **data},
        headers={"Referer": f"http://testserver{page_path}"},
        follow_redirects=False,
    )
    return answer


def sign_in(client: TestClient, email: str, password: str = PASSWORD) -> Response:
    """Sign in, with English chosen (the pages would otherwise follow the person's profile language)."""
    client.cookies.set("bb_lang", "en", domain="testserver.local", path="/console")
    return post_form(client, "/console/sign-in", "/console/sign-in", {"email": email, "password": password})
