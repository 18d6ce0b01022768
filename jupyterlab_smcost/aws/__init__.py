"""boto3-only code, shared by the server extension, the CLI and the Lambda handlers.

Nothing under this package imports jupyter: it must run inside a bare AWS Lambda.
"""
