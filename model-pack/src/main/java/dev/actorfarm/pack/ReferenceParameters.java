package dev.actorfarm.pack;

/**
 * Every constant of the reference pack's parametric models, in one place, with why it has its
 * value. The graphs in {@link ReferencePack} and the plain-Java reference implementations in the
 * tests read them from here.
 */
public final class ReferenceParameters {

  private ReferenceParameters() {}

  // ---- audio encoder: log-mel features ----
  /** 16 kHz: the rate of HuBERT/wav2vec2 front ends that learned packs use. */
  public static final int SAMPLE_RATE = 16_000;

  /** 25 fps output, the frame rate of JoyVASA/LivePortrait motion. */
  public static final int FPS = 25;

  /** One feature frame per video frame. */
  public static final int HOP = SAMPLE_RATE / FPS;

  /** 64 ms analysis window: resolves the first two formants of speech. */
  public static final int N_FFT = 1024;

  /** Frames are centred on their video frame, so each needs half a window of earlier audio. */
  public static final int LOOK_BEHIND = N_FFT / 2;

  /** With a centred window of 1024 and hop 640 no later audio is needed for W frames. */
  public static final int LOOK_AHEAD = 0;

  /** 40 mel bands, 60 Hz to 7.6 kHz: the usual speech front end. */
  public static final int N_MELS = 40;

  public static final double F_MIN = 60;
  public static final double F_MAX = 7_600;

  /** Floor added before the log: -100 dB, far below any recording's noise floor. */
  public static final float LOG_FLOOR = 1e-10f;

  // ---- motion generator ----
  /** 2 s windows (between KDTalker's 64 and JoyVASA's 100 frames). */
  public static final int WINDOW = 50;

  /** The AR(2) head process and the mouth/blink states need the last two frames. */
  public static final int CONTEXT = 2;

  /**
   * The motion channels: the head (0-4), the mouth and the lids as speech and blinks drive them
   * (5-8), the face's expressions (9-18: brows, mouth corners, cheeks, eye opening, upper lip,
   * gaze) and the generator's own state (19-23: the mouth followers before emotion is added, the
   * gaze's saccade target and the speech's emphasis), which the context carries to the next window.
   */
  public static final String[] CHANNELS = {
    "head_yaw",
    "head_pitch",
    "head_roll",
    "head_tx",
    "head_ty",
    "jaw_open",
    "lip_spread",
    "eyelid_close",
    "blink_phase",
    "brow_raise",
    "brow_inner",
    "brow_knit",
    "mouth_corner",
    "mouth_corner_asym",
    "cheek_raise",
    "eye_wide",
    "upper_lip_raise",
    "gaze_x",
    "gaze_y",
    "mouth_open_state",
    "mouth_spread_state",
    "saccade_x",
    "saccade_y",
    "emphasis"
  };

  public static final int M = CHANNELS.length;
  public static final int HEAD = 5;
  public static final int JAW = 5;
  public static final int BLINK_PHASE = 8;

  /** First of the expression channels (brow_raise ... upper_lip_raise, then gaze_x, gaze_y). */
  public static final int EXPRESSION = 9;

  public static final int EXPRESSIONS = 8;
  public static final int GAZE = 17;
  public static final int MOUTH_STATE = 19;
  public static final int SACCADE = 21;
  public static final int EMPHASIS = 23;

  /**
   * The controls the generator takes per frame ({@code [1, W, C]}), in this order: the seven
   * emotion weights (neutral is what they leave), then the performance knobs (see {@code
   * FarmControls}).
   */
  public static final String[] CONTROLS = {
    "emotion_happy",
    "emotion_sad",
    "emotion_angry",
    "emotion_surprised",
    "emotion_fearful",
    "emotion_disgusted",
    "emotion_contemptuous",
    "expression_scale",
    "head_motion_scale",
    "lip_sync",
    "blink_rate",
    "gaze_x",
    "gaze_y",
    "gaze_wander",
    "prosody"
  };

  public static final int C = CONTROLS.length;
  public static final int EMOTIONS = 7;

  /** Each emotion at full intensity, as expression channels and jaw and spread additions. */
  public static final float[][] EMOTION_EXPRESSIONS =
      dev.actorfarm.runtime.direction.Expressions.PROTOTYPES;

  /**
   * Prosody: the emphasis follows the speech's loudness slowly (attack and release per frame: about
   * 1 s and 2 s), as a listener hears a passage as animated or calm; it raises the brows and, while
   * the passage is spoken (not in its pauses), swings the head more (X-Actor and EmoTalk take
   * expressiveness from the audio).
   */
  public static final float EMPHASIS_ATTACK = 0.04f;

  /**
   * The emphasis follows half the speech's loudness plus its pitch movement: the centroid of the
   * lowest mel bands ({@code PITCH_LO} to {@code PITCH_HI}, centres 106-378 Hz, where a voice's
   * fundamental lies) moves as the pitch does, and its frame-to-frame change, while voiced, is a
   * coarse pitch-variation measure from the log-mel features alone (on the example narration: 0.54
   * bands a frame on average in speech, 1.3 at the 90th percentile, 0.01 in silence). A lively
   * voice raises the emphasis towards 1, a monotone one leaves it near half.
   */
  public static final int PITCH_LO = 0;

  public static final int PITCH_HI = 6;
  public static final float PITCH_GAIN = 0.5f;
  public static final float ENERGY_SHARE = 0.5f;

  public static final float EMPHASIS_RELEASE = 0.02f;
  public static final float PROSODY_BROW = 0.35f;
  public static final float PROSODY_HEAD = 0.4f;

  /** Saccades while the gaze wanders: about one a second, to ±0.35 (x) and ±0.2 (y) of full. */
  public static final float SACCADE_Z = -1.75f;

  public static final float SACCADE_X = 0.35f;
  public static final float SACCADE_Y = 0.20f;

  /** Mel bands (inclusive-exclusive) of voiced speech energy: about 200 Hz to 3 kHz. */
  public static final int SPEECH_LO = 3;

  public static final int SPEECH_HI = 26;

  /** Bands of the first formant region (~250-900 Hz) and of the second (~1.2-3.2 kHz). */
  public static final int F1_LO = 4;

  public static final int F1_HI = 12;
  public static final int F2_LO = 16;
  public static final int F2_HI = 27;

  /**
   * Mean log-mel power (natural log) at which the mouth starts to open and at which it is fully
   * open; measured on speech at typical recording levels (-30 to -12 dBFS).
   */
  public static final float ENERGY_CLOSED = -9.0f;

  public static final float ENERGY_OPEN = -1.0f;

  /** F2-F1 log-power difference mapped to lip spread: 0 at -2.5, ±1 at ±3 around it. */
  public static final float TILT_MID = -2.5f;

  public static final float TILT_SCALE = 1.0f / 3.0f;

  /** Mouth attack and release per frame: opening in ~40 ms, closing in ~100 ms. */
  public static final float ATTACK = 0.55f;

  public static final float RELEASE = 0.30f;

  /**
   * Head motion: an AR(2) resonator with pole radius 0.985 and frequency 0.25 Hz, the slow sway of
   * a speaker; stationary standard deviations below (radians for angles: 2, 1.3 and 1 degrees; crop
   * half-sides for shift, about 0.6% and 0.4% of the face width). With the yaw and pitch shifts,
   * the upper face moves by about 2% of the face width (1 sigma): a speaker's few percent.
   */
  public static final double AR_RADIUS = 0.985;

  public static final double AR_FREQ_HZ = 0.25;
  public static final double[] HEAD_STD = {0.026, 0.016, 0.014, 0.004, 0.003};

  /** Head motion while silent, as a fraction of that while speaking. */
  public static final float HEAD_IDLE = 0.3f;

  /** Extra pitch (nod) excitation per unit of mouth-opening onset. */
  public static final float NOD_GAIN = 0.0012f;

  /**
   * Blinks: a blink starts when the blink channel's noise, as a uniform draw, falls below the blink
   * rate (blinks a minute, the control {@code blink_rate}) over 60 × FPS; the resting rate is 17 a
   * minute (human 15-20); a blink lasts 7 frames.
   */
  public static final int BLINK_FRAMES = 7;

  // ---- renderer geometry, in the crop's normalized coordinates (x right, y down, [-1, 1]) ----
  /** Side of the square crop the renderer works on. */
  public static final int CROP = 256;

  /** Crop side as a multiple of the face-box width, and its downward shift in box heights. */
  public static final double CROP_SCALE = 1.9;

  public static final double CROP_SHIFT_Y = 0.08;

  /** Largest batch of frames per renderer call. */
  public static final int MAX_BATCH = 8;

  /**
   * The face's geometry comes from its landmarks ({@code [1, 6, 2]} in normalised crop coordinates,
   * BlazeFace's order: eyes, nose tip, mouth centre, ear tragions). Every size below is for a face
   * whose eyes are {@code IOD_REF} apart in the crop, and scales with the portrait's own distance:
   * 0.47 is what the bundled portrait measures with the crop of {@link #CROP_SCALE}.
   */
  public static final float IOD_REF = 0.47f;

  /** BlazeFace's six keypoints. */
  public static final int LANDMARKS = 6;

  /**
   * The head warp: full inside an ellipse of these radii (in IOD_REF units) about the face centre
   * (midway between the eye line and the mouth), falling to the identity at {@code HEAD_OUTER}
   * times them: the skull moves as one piece, hair and hats beyond it stay put.
   */
  public static final float HEAD_RX = 0.62f;

  public static final float HEAD_RY = 0.72f;
  public static final float HEAD_INNER = 0.7f;
  public static final float HEAD_OUTER = 1.15f;

  /**
   * Every warp is multiplied by a window that is 1 inside {@code WARP_FLAT} of the crop's half-side
   * and 0 beyond {@code WARP_EDGE}: the paste-back feather (the outer 10% of the crop, beyond 0.8)
   * only ever blends the portrait with itself, and no crop pixel beyond the window (the replicated
   * border of a face near the portrait's edge) is ever sampled into view.
   */
  public static final float WARP_FLAT = 0.62f;

  public static final float WARP_EDGE = 0.78f;

  /** Yaw and pitch move the face by this much per radian (a rotating head seen from the front). */
  public static final float YAW_SHIFT = 0.5f;

  public static final float PITCH_SHIFT = 0.5f;

  /**
   * The lid region about each eye centre is flat-topped (a 4th-power Gaussian) so that a closing
   * lid covers the whole eye rather than smearing its centre; its travel is the eye's height.
   */
  public static final float EYE_SU = 0.10f;

  public static final float EYE_SV = 0.055f;
  public static final float LID_TRAVEL = 0.075f;

  /** The inner mouth's half-width at rest, and the jaw's drop and the upper lip's lift, open. */
  public static final float MOUTH_HALF_WIDTH = 0.13f;

  public static final float JAW_DROP = 0.085f;
  public static final float LIP_RAISE = 0.012f;
  public static final float SPREAD_GAIN = 0.10f;

  /**
   * The jaw region: below the mouth line, centred {@code JAW_CENTRE} lower, with this spread; its
   * weight just under the lips is {@code exp(-(JAW_CENTRE/JAW_SV)^2)}, so the gap the jaw opens is
   * that fraction of {@code JAW_DROP}.
   */
  public static final float JAW_CENTRE = 0.12f;

  public static final float JAW_SV = 0.22f;
  public static final float JAW_SU = 0.30f;

  /**
   * A rendered pixel is pasted back in full once the warp moves it this many crop pixels, and not
   * at all where the warp is the identity: a still face is the portrait's own pixels, not their
   * resampled copy.
   */
  public static final float ALPHA_PIXELS = 0.5f;

  /** Colour of the inner mouth (linear RGB in [0, 1]) and how strongly it covers. */
  public static final float[] MOUTH_RGB = {0.20f, 0.07f, 0.08f};

  public static final float MOUTH_OPACITY = 0.85f;

  // ---- expression warps, each about a point placed on the face's own geometry (the eyes' and the
  // mouth's landmarks), along the eye line (x) and across it (y, down); lengths in IOD_REF units
  // ----
  /**
   * The expression warps' displacement field is built on a grid this many cells square and sampled
   * bilinearly where the head warp looks: 2 crop pixels a cell at 256², under half the narrowest
   * bump (a brow's height, 0.055 × k: 4.5 crop pixels at k = 1, 2.9 for a face 0.64 of the
   * calibration's size), for a quarter of a full-size field's cost.
   */
  public static final int FIELD = 128;

  /** Brow centres: this far above each eye centre (about 0.3 eye distances). */
  public static final float BROW_UP = 0.14f;

  public static final float BROW_SU = 0.11f;
  public static final float BROW_SV = 0.055f;

  /** A full brow raise lifts the brows by this much (about 0.1 eye distances). */
  public static final float BROW_TRAVEL = 0.05f;

  /** A full knit moves each brow this far towards the nose. */
  public static final float KNIT_TRAVEL = 0.02f;

  /** The inner half of a brow: a tanh ramp of this width across the brow centre. */
  public static final float BROW_INNER_RAMP = 0.04f;

  /**
   * Mouth corners: the BlazeFace landmarks give the mouth's centre, not its width, and a mouth is
   * 0.64 (a turned head, grandpa) to 1.06 (frontal photos) eye distances wide by hand. So the lift
   * is a broad bump centred 0.42 eye distances either side of the centre and 0.2 wide: it lifts the
   * corners of any of those mouths by 75-100% and the mouth's centre by 1%, bending the lip line as
   * a smile does; a full raise lifts by {@code CORNER_TRAVEL} and draws out by {@code CORNER_OUT}.
   */
  public static final float CORNER_OFFSET = 0.2f;

  public static final float CORNER_SU = 0.094f;
  public static final float CORNER_SV = 0.05f;
  public static final float CORNER_TRAVEL = 0.06f;
  public static final float CORNER_OUT = 0.012f;

  /** Cheeks: below each eye centre. */
  public static final float CHEEK_DOWN = 0.15f;

  public static final float CHEEK_SU = 0.08f;
  public static final float CHEEK_SV = 0.06f;
  public static final float CHEEK_TRAVEL = 0.03f;

  /** Eyes wide: the lids' region stretched across the eye line by this fraction at eye_wide 1. */
  public static final float EYE_WIDE_GAIN = 0.30f;

  /** A full squint (eye_wide -1) closes the lids this far. */
  public static final float SQUINT_LID = 0.35f;

  /** Upper lip raise: the band just above the mouth line. */
  public static final float UPPER_LIP_UP = 0.04f;

  public static final float UPPER_LIP_SU = 0.10f;
  public static final float UPPER_LIP_SV = 0.035f;
  public static final float UPPER_LIP_TRAVEL = 0.018f;

  /** Gaze: the iris region (flat-topped) about each eye centre moves this far at gaze ±1. */
  public static final float GAZE_TRAVEL = 0.022f;

  public static final float IRIS_SU = 0.045f;
  public static final float IRIS_SV = 0.035f;
}
