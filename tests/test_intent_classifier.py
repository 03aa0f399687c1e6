"""The e5 + n-gram intent classifier as a Rasa component: trained once on data/nlu.yml, then probed with
sentences written for this test (none of them is a training example)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from bot.components.intent_classifier import MODEL_FILE, E5IntentClassifier
from bot.settings import ROOT, Settings
from knowledge import query_vectors
from knowledge.embedder import load_embedder

CONFIG = {**E5IntentClassifier.get_default_config()}


@pytest.fixture(scope="module")
def trained(settings: Settings, tmp_path_factory: pytest.TempPathFactory):
    from bot.build import build_all

    build_all(settings, only=["Embedding-Modell"])  # the classifier needs the e5 model, not the whole build
    storage = LocalModelStorage(tmp_path_factory.mktemp("intent-model"))
    resource = Resource("intent_classifier")
    context = ExecutionContext(GraphSchema({}), "test")
    classifier = E5IntentClassifier.create(CONFIG, storage, resource, context)
    classifier.train(load_data(str(ROOT / "data" / "nlu.yml")))
    return classifier, storage, resource, context


def _classify(classifier: E5IntentClassifier, text: str) -> Message:
    message = Message.build(text=text)
    classifier.process([message])
    return message


@pytest.mark.slow  # trains the classifier on the e5 model
@pytest.mark.parametrize(
    "text, intent",
    [
        ("Wie funktioniert eigentlich eine Spülmaschine?", "out_of_scope"),
        ("Guten Abend zusammen", "greet"),
        ("Vielen lieben Dank für die Auskunft", "thanks"),
        ("Ich möchte bitte mit einer echten Person reden", "request_human"),
        ("Welche Unterlagen brauche ich für die Ummeldung meines Autos?", "ask_service"),
        ("Hat das Standesamt am Freitagnachmittag geöffnet?", "ask_office_hours"),
        ("Bist du eine künstliche Intelligenz?", "bot_challenge"),
    ],
)
def test_new_sentences_get_the_right_intent(trained, text: str, intent: str) -> None:
    message = _classify(trained[0], text)
    assert message.get("intent")["name"] == intent
    ranking = message.get("intent_ranking")
    confidences = [r["confidence"] for r in ranking]
    assert confidences == sorted(confidences, reverse=True) and 0.0 < sum(confidences) <= 1.0 + 1e-6
    assert ranking[0] == message.get("intent")


@pytest.mark.slow  # trains the classifier on the e5 model
def test_persisted_model_predicts_the_same(trained) -> None:
    classifier, storage, resource, context = trained
    loaded = E5IntentClassifier.load(CONFIG, storage, resource, context)
    assert loaded._embedder is not None  # warmed at load, so the first citizen does not wait for the model
    text = "Und was kostet das bei Ihnen?"
    assert _classify(loaded, text).get("intent_ranking") == _classify(classifier, text).get("intent_ranking")


@pytest.mark.slow  # trains the classifier on the e5 model
def test_the_parse_data_carries_the_e5_vector_for_the_search(trained, settings: Settings) -> None:
    """The action server's search uses this vector instead of encoding the message again."""
    text = "Was kostet ein neuer Reisepass?"
    parse_data = _classify(trained[0], text).as_dict(only_output_properties=True)  # what Rasa passes on
    known = query_vectors.unpack(parse_data[query_vectors.PARSE_KEY], settings.embedding_model)
    own = load_embedder(
        settings.embedding_model, settings.embedding_dir, settings.embedding_onnx(), settings.threads
    ).queries([text])[0]
    assert list(known) == [text] and known[text].tobytes() == own.tobytes()


@pytest.mark.slow  # trains the classifier on the e5 model
def test_empty_text_is_left_alone(trained) -> None:
    message = Message.build(text="   ")
    trained[0].process([message])
    assert message.get("intent") is None


@pytest.mark.slow  # trains the classifier on the e5 model
def test_a_foreign_object_in_the_model_file_is_refused(trained, tmp_path: Path) -> None:
    """skops only loads sklearn/numpy/scipy types; anything else means a tampered or foreign file."""
    import skops.io as sio

    _, _, _, context = trained
    storage = LocalModelStorage(tmp_path)
    resource = Resource("tampered")
    with storage.write_to(resource) as model_dir:
        sio.dump({"clf": Path("/etc/passwd")}, model_dir / MODEL_FILE)
    loaded = E5IntentClassifier.load(CONFIG, storage, resource, context)
    assert _classify(loaded, "Hallo").get("intent") is None


def test_config_is_validated() -> None:
    with pytest.raises(ValueError, match="C"):
        E5IntentClassifier.validate_config({**CONFIG, "C": -1})
