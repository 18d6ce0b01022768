"""The fleet report of a SageMaker Studio domain (``jupyter smcost fleet``, and the scheduled
Lambda ``jupyterlab_smcost.fleet.lambdas.report_fleet``): :mod:`.collect` reads the domain,
:mod:`.coverage` says which idle shutdown covers each app, :mod:`.report` prices and totals,
:mod:`.billed` adds Cost Explorer's figures per user profile, :mod:`.html` renders it."""
