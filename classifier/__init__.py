"""newswinnow: the model, decoding, scores, the Classifier API and the CLI."""

from .api import Classifier, DocumentResult, ModelError

__all__ = ["Classifier", "DocumentResult", "ModelError"]
