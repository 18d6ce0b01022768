"""The account janitor: idle real-time endpoints (:mod:`.endpoints`), notebook instance
schedules (:mod:`.notebooks`), and the AWS Lambda handlers that run them (:mod:`.lambdas`).

Used by ``jupyter smcost endpoints|notebooks`` and by ``deploy/janitor.yaml``. Like
:mod:`jupyterlab_smcost.aws`, nothing here imports jupyter: it runs inside a bare AWS Lambda.
"""
