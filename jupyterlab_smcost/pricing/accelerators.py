"""Which accelerators are close kin: the maker and generation (architecture) of a GPU or AWS
chip model as the price book's specs name it. The region rule prefers the region ratio of a
family of the same maker and generation over the whole kind's (regions mark accelerator
families up differently, and alike within a generation more than across them).

Architectures as their makers name them: NVIDIA's product briefs (Kepler K80, Maxwell M60,
Volta V100, Turing T4, Ampere A100/A10G, Ada Lovelace L4/L40S, Hopper H100/H200, Blackwell
B200/RTX PRO 6000 Blackwell), AWS Neuron documentation (NeuronCore-v1 Inferentia,
NeuronCore-v2 Inferentia2 and Trainium, NeuronCore-v3 Trainium2)."""

from __future__ import annotations

from typing import Optional

#: (what the model name contains, maker, generation); the first match wins, so longer
#: names come before the names they contain
GENERATIONS = (
    ("Inferentia2", "AWS", "NeuronCore-v2"),
    ("Trainium2", "AWS", "NeuronCore-v3"),
    ("Trainium", "AWS", "NeuronCore-v2"),
    ("Inferentia", "AWS", "NeuronCore-v1"),
    ("Blackwell", "NVIDIA", "Blackwell"),
    ("B200", "NVIDIA", "Blackwell"),
    ("H200", "NVIDIA", "Hopper"),
    ("H100", "NVIDIA", "Hopper"),
    ("L40S", "NVIDIA", "Ada Lovelace"),
    ("L4", "NVIDIA", "Ada Lovelace"),
    ("A100", "NVIDIA", "Ampere"),
    ("A10G", "NVIDIA", "Ampere"),
    ("T4", "NVIDIA", "Turing"),
    ("V100", "NVIDIA", "Volta"),
    ("M60", "NVIDIA", "Maxwell"),
    ("K80", "NVIDIA", "Kepler"),
)


def generation(model: Optional[str]) -> Optional[str]:
    """``NVIDIA Ampere`` for ``NVIDIA A100``; None for a model not listed (or none)."""
    if not model:
        return None
    for needle, maker, gen in GENERATIONS:
        if needle.casefold() in model.casefold():
            return f"{maker} {gen}"
    return None
