from keras_s2s.cli.demo import run_demo


def test_demo_trains_plots_exports_and_checks_the_exports(tmp_path):
    lines = []
    report = run_demo(seconds=12, output_dir=str(tmp_path), n_test=30, print_fn=lines.append)
    assert report["exports_match"] is True
    assert report["saved_model_match"] == 1.0 and report["litert_match"] == 1.0
    assert (tmp_path / "dates" / "1" / "saved_model.pb").exists()
    assert (tmp_path / "dates_litert" / "dates.tflite").exists()
    assert (tmp_path / "dates_attention.png").read_bytes()[:4] == b"\x89PNG"
    assert any(line.startswith("[ok ]") or line.startswith("[ERR]") for line in lines)
    assert lines[-1].startswith("Demo passed")
