"""The tests' helpers, one module each (tests/conftest.py puts this folder's parent on the
path: ``from support.server_proc import ServerProcess``).

Fakes for the server's swappable parts, set through ``SmCostApp`` traits (in a test's
``smcost_config`` or ``jp_server_config``), never by patching module globals:

- :mod:`.environments`: environment classes for ``SmCostApp.environment_class``;
- :mod:`.usage`: usage sources for ``SmCostApp.usage_source_class``;
- :mod:`.aws`: a client factory of botocore-Stubber clients for ``SmCostApp.aws_client_factory``.

A service without a server: :mod:`.service`. REST checks (OpenAPI validation of real
responses, JSON fetches): :mod:`.rest`.

AWS doubles: :mod:`.moto_env` (a moto server for the environments; pytest fixtures),
:mod:`.moto_server` (a moto server for the janitor and benchmarks; fixtures and helpers),
:mod:`.sm_stub` (botocore-Stubber SageMaker clients), :mod:`.pricelist` (Price List API
products and a Stubber pricing client), :mod:`.sagemaker_standin` (a Stubber over HTTP for a
server in a subprocess), :mod:`.silent_endpoint` (an endpoint that never answers),
:mod:`.env_helpers` (metadata files, moto resources).

Processes: :mod:`.server_proc` (``jupyter server`` subprocesses in their own PID namespace),
:mod:`.sandbox` (platform-shaped sandboxes for the lifecycle script, release artifacts),
``history_writer.py`` (a writer the kill -9 test kills), ``fake_nvml/`` (a ``pynvml``
stand-in). History files as a previous server left them: :mod:`.history_fill`.
"""

from pathlib import Path

#: this folder: scripts the tests run (history_writer.py) and fake modules (fake_nvml/)
SUPPORT = Path(__file__).resolve().parent
