"""The resampler behind `render -o x.opus` (Opus takes 48 kHz, the timeline is 22,050 Hz): pure, so tested alone."""

import numpy as np
import pytest

from companion.playback.resample import Resampler


def resampled(samples, block, source=22050, target=48000):
    r = Resampler(source, target)
    return np.concatenate([r.feed(samples[i:i + block]) for i in range(0, len(samples), block)] + [r.flush()])


def tone(hz, seconds=1.0, rate=22050, amplitude=0.3):
    t = np.arange(round(seconds * rate)) / rate
    return np.rint(amplitude * 32767 * np.sin(2 * np.pi * hz * t)).astype(np.int16)


@pytest.mark.parametrize("frames", [0, 1, 147, 22050, 22051, 100_003])
def test_the_output_lasts_as_long_as_the_input_to_the_frame(frames):
    out = resampled(np.ones(frames, np.int16), 8192)
    assert len(out) == -(-frames * 48000 // 22050) and out.dtype == np.int16


def test_blocks_of_any_size_give_the_same_samples():
    speechlike = tone(220, 2.0) // 2 + tone(1800, 2.0) // 3
    whole = resampled(speechlike, len(speechlike))
    for block in (1, 100, 8192):
        assert np.array_equal(resampled(speechlike, block), whole), block


def rms(x):
    return np.sqrt(np.mean(np.asarray(x, float) ** 2))


@pytest.mark.parametrize("hz", [150, 1000, 4000])
def test_a_tone_in_the_speech_band_comes_out_the_same_tone(hz):
    out = resampled(tone(hz), 8192)[480:-480]  # away from the edges
    t = (np.arange(len(out)) + 480) / 48000
    expected = 0.3 * 32767 * np.sin(2 * np.pi * hz * t)
    assert rms(out - expected) < 0.01 * rms(expected)  # the difference 40 dB down


def test_the_top_of_the_band_loses_less_than_half_a_decibel():
    assert abs(20 * np.log10(rms(resampled(tone(8000), 8192)[480:-480]) / rms(tone(8000)[220:-220]))) < 0.5


def test_no_image_of_the_speech_band_above_its_top():
    out = resampled(tone(5000, 2.0), 8192).astype(float)
    spectrum = np.abs(np.fft.rfft(out * np.hanning(len(out))))
    hz = np.fft.rfftfreq(len(out), 1 / 48000)
    image = spectrum[(hz > 16000) & (hz < 18000)].max()  # 22,050 - 5,000 = 17,050 Hz
    assert 20 * np.log10(image / spectrum.max()) < -60


def test_silence_stays_silence_and_full_scale_does_not_wrap():
    assert not resampled(np.zeros(5000, np.int16), 1000).any()
    square = np.tile(np.array([32767] * 20 + [-32768] * 20, np.int16), 200)
    out = resampled(square, 1000)
    assert out.max() == 32767 and out.min() == -32768  # clipped where it rings over, never wrapped round
    assert (np.sign(out[2000:2100].astype(int)) != 0).all()
