"""Machine learning for comment moderation: features, training, evaluation and the model store.

Nothing here imports Flask: the package works the same from a notebook, a batch job or the service.
"""

from model.classifier import LABELS, ModerationModel, Scores
from model.corpus import Example, load_training_data
from model.prepared import PreparedText, prepare
from model.store import LoadedModel, ModelLoadError, ModelStore
from model.training import TrainingResult, train_model

__all__ = [
    "LABELS",
    "Example",
    "LoadedModel",
    "ModelLoadError",
    "ModelStore",
    "ModerationModel",
    "PreparedText",
    "Scores",
    "TrainingResult",
    "load_training_data",
    "prepare",
    "train_model",
]
