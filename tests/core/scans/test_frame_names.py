from core.scans.frame_names import FrameNames, check_frame_names, frame_pattern


def test_frame_pattern_replaces_the_last_number():
    assert frame_pattern("000.wrl") == "#.wrl"
    assert frame_pattern("frame_0012.OBJ") == "frame_#.obj"
    assert frame_pattern("F001_T1_0003.obj") == "F001_T1_#.obj"
    assert frame_pattern("F0001_AN01WH_F3D.wrl") == "F0001_AN01WH_F#D.wrl"
    assert frame_pattern("notes.obj") is None


def test_frames_of_one_sequence_pass():
    check = check_frame_names([f"{i:03d}.wrl" for i in range(120)])
    assert check.ok and check.pattern == "#.wrl" and check.warning("Happy") == ""
    assert check_frame_names(["only.obj"]).ok and check_frame_names([]).ok


def test_odd_files_among_frames_are_named():
    names = [f"frame_{i:04d}.obj" for i in range(10)] + ["mesh.obj", "F0001_HA04WH_F3D.wrl"]
    check = check_frame_names(names)
    assert check.pattern == "frame_#.obj" and check.odd == ("mesh.obj", "F0001_HA04WH_F3D.wrl")
    text = check.warning("seq")
    assert text.count(".") >= 1 and "2 of the 12 files of seq" in text
    assert "frame_N.obj" in text and "mesh.obj, F0001_HA04WH_F3D.wrl" in text


def test_differently_named_scans_are_not_a_sequence():
    names = [f"F0001_{code}0{i}WH_F3D.wrl" for code in ("AN", "HA", "SA") for i in range(1, 5)]
    check = check_frame_names(names)
    assert check == FrameNames(None, tuple(names), 12)
    text = check.warning("F0001")
    assert "12 files of F0001 do not share one frame-numbered name" in text
    assert "and 8 more" in text and "Analyse folder" in text
    assert "\n" not in text
