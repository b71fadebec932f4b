"""Reading the annotation formats `vidseek eval` accepts."""

import json

import pytest

from vidseek.evaluation.annotations import (
    AnnotatedMoment,
    AnnotationError,
    Caption,
    detect_format,
    read_annotations,
)

MSRVTT_CSV = """key,vid_key,video_id,sentence
ret0,msr9770,video9770,a person is connecting something to system
ret1,msr7606,video7606,a little girl does gymnastics
"""

MSRVTT_JSON = {
    "info": {"year": 2016},
    "videos": [{"video_id": "video0", "split": "train"}],
    "sentences": [
        {"sen_id": 0, "video_id": "video0", "caption": "a man is driving a car"},
        {"sen_id": 1, "video_id": "video0", "caption": " a car drives down a road "},
        {"sen_id": 2, "video_id": "video1", "caption": "a woman sings"},
    ],
}

CHARADES = """AO8RW 0.0 6.9##a person is putting a book on a shelf.
Y6R7T 20.8 30.0##person opens the door.

"""


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_msrvtt_csv(tmp_path):
    ann = read_annotations(write(tmp_path, "MSRVTT_JSFUSION_test.csv", MSRVTT_CSV))
    assert ann.format == "msrvtt-csv"
    assert ann.captions == [
        Caption("video9770", "a person is connecting something to system"),
        Caption("video7606", "a little girl does gymnastics"),
    ]
    assert ann.moments == []
    assert ann.video_keys == ["video9770", "video7606"]


def test_msrvtt_csv_with_a_language_column(tmp_path):
    text = "key,vid_key,video_id,sentence,lang\nret0,msr1,video1,un chien,fr\n"
    ann = read_annotations(write(tmp_path, "t.csv", text))
    assert ann.captions == [Caption("video1", "un chien", "fr")]


def test_msrvtt_csv_without_the_sentence_column_is_refused(tmp_path):
    with pytest.raises(AnnotationError, match="sentence"):
        read_annotations(write(tmp_path, "t.csv", "key,video_id\nret0,video1\n"))


def test_msrvtt_json(tmp_path):
    ann = read_annotations(write(tmp_path, "MSRVTT_data.json", json.dumps(MSRVTT_JSON)))
    assert ann.format == "msrvtt-json"
    assert [c.text for c in ann.captions] == [
        "a man is driving a car",
        "a car drives down a road",
        "a woman sings",
    ]
    assert ann.video_keys == ["video0", "video1"]


def test_msrvtt_json_of_another_shape_is_refused(tmp_path):
    with pytest.raises(AnnotationError, match="MSR-VTT JSON"):
        read_annotations(write(tmp_path, "x.json", '{"annotations": []}'))


def test_charades_sta(tmp_path):
    ann = read_annotations(write(tmp_path, "charades_sta_test.txt", CHARADES))
    assert ann.moments == [
        AnnotatedMoment("AO8RW", 0.0, 6.9, "a person is putting a book on a shelf."),
        AnnotatedMoment("Y6R7T", 20.8, 30.0, "person opens the door."),
    ]
    assert ann.captions == []


@pytest.mark.parametrize(
    "line", ["AO8RW 0.0 6.9 a person", "AO8RW 6.9##a person", "AO8RW 7 6.9##backwards"]
)
def test_charades_sta_bad_lines_name_the_line(tmp_path, line):
    with pytest.raises(AnnotationError, match="line 2"):
        read_annotations(write(tmp_path, "c.txt", f"A 0 1##ok\n{line}\n"))


def test_jsonl_mixes_captions_and_moments(tmp_path):
    rows = [
        {"video": "clip.mp4", "text": "a red circle", "lang": "en"},
        {"video": "clip", "start": 2, "end": 5.5, "text": "ein roter Kreis", "lang": "de"},
        {"video": "other", "text": "一个红色的圆形"},
    ]
    text = "\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n\n"
    ann = read_annotations(write(tmp_path, "a.jsonl", text))
    assert ann.captions == [
        Caption("clip.mp4", "a red circle", "en"),
        Caption("other", "一个红色的圆形", None),
    ]
    assert ann.moments == [AnnotatedMoment("clip", 2.0, 5.5, "ein roter Kreis", "de")]


def test_jsonl_errors(tmp_path):
    with pytest.raises(AnnotationError, match="line 1"):
        read_annotations(write(tmp_path, "a.jsonl", '{"text": "no video"}\n'))
    with pytest.raises(AnnotationError, match="start and end"):
        read_annotations(write(tmp_path, "b.jsonl", '{"video": "v", "start": 1, "text": "t"}\n'))


def test_format_detection_and_override(tmp_path):
    assert detect_format(tmp_path / "x.ndjson") == "jsonl"
    with pytest.raises(AnnotationError, match="--format"):
        detect_format(tmp_path / "x.tsv")
    path = write(tmp_path, "moments.data", CHARADES)
    assert len(read_annotations(path, "charades").moments) == 2


def test_an_empty_file_is_refused(tmp_path):
    with pytest.raises(AnnotationError, match="no annotations"):
        read_annotations(write(tmp_path, "e.jsonl", "\n"))
