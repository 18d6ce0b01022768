"""Heavy work off the notebook (issue 17): a notebook or script from the server root run as
a SageMaker training job, on Spot by default, with its cost before and after."""

from .service import JobConfig, JobService

__all__ = ["JobConfig", "JobService"]
