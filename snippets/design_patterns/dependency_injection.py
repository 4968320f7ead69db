"""The Python idiom that design_patterns/dependency_injection.cpp replaces, run by the build.

The region is what the page shows; the checks below it make the build fail if the
idiom ever stops behaving as the page says. Requests go through Starlette's in-process
TestClient; no socket is opened and no mail is sent.
"""

from dataclasses import dataclass
from typing import Protocol

from fastapi import Depends, FastAPI
from fastapi.testclient import TestClient


class Mailer(Protocol):
    def send(self, to: str, subject: str) -> None: ...


@dataclass
class Settings:
    smtp_host: str


settings = Settings(smtp_host="smtp.example.com")
smtp_outbox = []  # (host, to, subject)


class SmtpMailer:
    """Stands in for a real SMTP client: it records instead of connecting."""

    def __init__(self, host: str):
        self.host = host

    def send(self, to: str, subject: str) -> None:
        smtp_outbox.append((self.host, to, subject))


class RecordingMailer:
    """The test's fake: keeps what it was asked to send."""

    def __init__(self):
        self.sent = []

    def send(self, to: str, subject: str) -> None:
        self.sent.append((to, subject))


app = FastAPI()


# [python-idiom]
def get_mailer() -> Mailer:
    return SmtpMailer(settings.smtp_host)

@app.post("/signup")
def signup(email: str, mailer: Mailer = Depends(get_mailer)):
    mailer.send(email, "Welcome!")

# in a test
mailer = RecordingMailer()
app.dependency_overrides[get_mailer] = lambda: mailer
# [python-idiom]

client = TestClient(app)

# With the override, the endpoint gets the fake and the SMTP mailer is never built.
response = client.post("/signup", params={"email": "ada@example.com"})
assert response.status_code == 200, response.text
assert mailer.sent == [("ada@example.com", "Welcome!")]
assert smtp_outbox == []

# Without it, FastAPI calls get_mailer() for the request: the application is unchanged.
app.dependency_overrides.clear()
response = client.post("/signup", params={"email": "grace@example.com"})
assert response.status_code == 200, response.text
assert smtp_outbox == [("smtp.example.com", "grace@example.com", "Welcome!")]
assert mailer.sent == [("ada@example.com", "Welcome!")]

# email is a required query parameter: without it the answer is 422 and signup never runs.
assert client.post("/signup").status_code == 422
assert len(smtp_outbox) == 1
