"""Fakes for the server's swappable parts, set through ``SmCostApp`` traits (in a test's
``smcost_config`` or ``jp_server_config``), never by patching module globals:

- :mod:`.environments`: environment classes for ``SmCostApp.environment_class``;
- :mod:`.usage`: usage sources for ``SmCostApp.usage_source_class``;
- :mod:`.aws`: a client factory of botocore-Stubber clients for ``SmCostApp.aws_client_factory``.
"""
