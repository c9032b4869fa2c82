import pytest
from chat import ChatServer


@pytest.fixture
def chat_server():
    server = ChatServer()
    thread = server.start()
    yield server.server_address
    server.shutdown()
    server.server_close()
    thread.join()
