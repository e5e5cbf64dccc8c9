from core.datasets import BASIC_EMOTIONS, BP4D_TASK_EMOTION, LABELS, MICRO_EXPRESSION_LABELS, normalize_label


def test_vocabulary_has_basic_micro_and_task_labels_once():
    assert LABELS[:7] == BASIC_EMOTIONS + ("neutral",)
    assert set(MICRO_EXPRESSION_LABELS) <= set(LABELS)
    assert set(BP4D_TASK_EMOTION.values()) <= set(LABELS)
    assert len(LABELS) == len(set(LABELS))
    assert {"embarrassment", "pain", "repression", "others"} <= set(LABELS)


def test_bp4d_task_table_is_the_published_design():
    assert dict(BP4D_TASK_EMOTION) == {
        "T1": "happiness",
        "T2": "sadness",
        "T3": "surprise",
        "T4": "embarrassment",
        "T5": "fear",
        "T6": "pain",
        "T7": "anger",
        "T8": "disgust",
    }


def test_normalize_label_maps_synonyms_and_keeps_unknown_lowercased():
    assert normalize_label("  Happy ") == "happiness"
    assert normalize_label("ANGRY") == "anger"
    assert normalize_label("Other") == "others"
    assert normalize_label("Repression") == "repression"
    assert normalize_label("Contempt") == "contempt"
