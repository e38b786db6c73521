"""Every value that shapes the embedded model's weights, in one dataclass without PyTorch.

Training (`train.py`, PyTorch) and generating (`sample.py`, NumPy) both read it: the shipped
`weights/config.json` is this dataclass as trained.
"""

from __future__ import annotations

from dataclasses import dataclass, fields


@dataclass
class TrainConfig:
    """Every value that shapes the shipped weights. Saved as config.json beside them."""

    threads: int = 1  # torch CPU threads. 1, not 2: on 2 shared cores two threads spin-wait on each other and
    # ran 5-8x slower per step (measured); results are reproducible for a given thread count
    resolution: int = 32  # frame size the model works at; the engine upscales
    clip_frames: int = 8  # frames per window seen by the clip encoder (evenly spaced, t = 0 and 1 included)
    window_seconds: float = 2.0  # seconds of video one window spans when sampling (speeds are per window)

    # Text encoder (stage 1)
    text_width: int = 96  # transformer width
    text_layers: int = 2  # transformer layers
    text_steps: int = 3200  # optimisation steps (800 read 1-2 points fewer colours and backgrounds right than
    # 1600; 1600 read all four attributes of held-out prompts right 2-3 points less often than 3200)
    text_batch: int = 128  # captions per step, half English, half French
    text_lr: float = 2e-3  # AdamW learning rate (cosine decay to 10%)
    word_dropout: float = 0.5  # drop a word's whole-word embedding: forces reading its 3-letter pieces
    piece_dropout: float = 0.15  # drop single 3-letter pieces
    clause_swap: float = 0.3  # chance to reorder the comma-separated parts of a caption
    junk_word: float = 0.3  # chance to insert a made-up word, so unknown words do not derail it
    junk_spliced: float = 0.5  # share of made-up words spliced from two filler words ("backgrolling") rather
    # than random letters: real unknown words ("tiny", "forme", "back drop") are made of familiar 3-letter
    # pieces, and random letters did not teach the encoder to ignore those. Text-only runs (3200 steps, the
    # shipped seed, 3000 held-out prompts): all four attributes read right 98.1% with random letters at 0.15,
    # 99.4% with these settings (motion 99.5 -> 99.9%)

    # Autoencoder (stage 2)
    latent_dim: int = 32  # numbers per window latent
    encoder_width: int = 32  # channels of the per-frame convolutions of the clip encoder
    encoder_shape: int = 16  # shape features per frame (FrameFeatures._shape), also in the prior's image encoder;
    # 0: none, the first weights, whose latent did not carry the shape
    decoder_width: int = 64  # width of the per-pixel network
    decoder_frequencies: int = 3  # Fourier frequencies of the object-relative offsets fed to the decoder
    decoder_harmonics: int = 12  # harmonics of the decoder's outline (radius per angle); 0: no outline, the
    # first weights, which drew every shape as a disc. 12 holds the 3-, 4- and 5-fold shapes' first harmonics.
    ae_steps: int = 3000  # optimisation steps
    ae_batch: int = 32  # clips per step
    ae_times: int = 4  # random times per clip at which the decoder is supervised
    ae_lr: float = 1e-3  # Adam learning rate (cosine decay to 5%)
    kl_weight: float = 1e-5  # weight of KL(q(z|clip) || N(0, I)): only keeps z smooth, recon dominates
    placement_weight: float = 0.2  # weight of the decoder's scene supervision (centre, radius, two colours)
    size_weight: float = 10.0  # weight of the log-radius term inside that supervision. At 0.1 and 1.0 the latent
    # did not carry growing/shrinking (measured at 600 steps: z -> growth R^2 < 0, decoder log-scale change ~0.01
    # over a window instead of ~0.7): the size term was a few thousandths of the loss. At 10: R^2 0.89.
    ae_pixels: int = 256  # pixels supervised per decoded frame (of R*R), half of them drawn on the object
    # Shape. shape_weight: cross-entropy of the shape read off the latent mean by a linear probe (trained with
    # it); shape_margin: object pixels for supervision drawn from the object grown by this many pixels, so the
    # background between a star's points is supervised too. Measured on AE-only runs (400 reconstructed clips,
    # pixel judge): without the probe the latent carried no shape (probe refit on z: chance; judged shape 21%)
    # even with the encoder's shape features; with weight 0.5: probe 100%, judged shape 88%. Full runs: 0.3 kept
    # judged motion at 94.5% where 0.5 gave 91% (shape 77% both); 1.0 and one 0.5 run stalled (reconstruction
    # error stuck ~3x higher), so the weight stays modest.
    shape_weight: float = 0.3
    shape_margin: int = 1

    # Latent prior (stage 3)
    prior_bank: int = 30000  # scenes encoded once to z and reused across prior steps
    prior_width: int = 256  # width of the velocity MLP
    prior_blocks: int = 4  # FiLM residual blocks
    image_features: int = 128  # conditioning-frame feature size
    prior_steps: int = 6000  # optimisation steps (3000 gave 1 point less judged motion on two prompt sets)
    prior_batch: int = 256  # latents per step
    prior_lr: float = 1e-3  # AdamW learning rate (cosine decay to 5%)
    caption_dropout: float = 0.1  # caption replaced by "no caption": needed for classifier-free guidance
    frame_dropout: float = 0.5  # conditioning frame left out: the same prior does text-to-video and continuation
    decoded_frames: float = 0.5  # share of conditioning frames that are the decoder's own rendering of the
    # clip's first frame, D(E(clip), 0), instead of the sharp rendered one. A long clip's windows after the
    # first are conditioned on the decoder's soft frames; a prior that had seen only sharp ones read a soft
    # square as a circle and the shape drifted. Measured on 300 fresh 20 s clips: shape right in the first and
    # the last window 61% -> 71%, in all windows 72% -> 80%; short-clip adherence unchanged within noise

    # Sampling defaults recorded with the weights
    # Classifier-free guidance scale on the caption. 1 is plain conditional sampling: once the prior read only
    # the attribute probabilities, guidance 1.5 and 2 drew weaker growth and shrinking (judged motion 94.5%
    # and 91.5% against 95.5% at 1, same prompts); caption dropout is kept so a guided sampler stays possible.
    guidance: float = 1.0
    sample_steps: int = 8  # Euler steps of the flow
    sample_temperature: float = 0.8  # scale of the flow's starting noise; below 1 draws nearer the typical
    # scene of the caption. Measured on the shipped weights, three prompt sets: judged shape +3-4 points at 0.8,
    # motion and colours unchanged within half a point

    log_every: int = 100  # steps between loss-curve points

    @classmethod
    def tiny(cls) -> "TrainConfig":
        """A preset that trains in seconds, for tests of the training path (not a usable model)."""
        return cls(
            text_width=32, text_layers=1, text_steps=30, text_batch=32, ae_steps=30, ae_batch=8, ae_times=2, ae_pixels=64,
            encoder_width=8, decoder_width=16, prior_bank=256, prior_width=64, prior_blocks=2, image_features=32,
            prior_steps=30, prior_batch=64, log_every=5,
        )

    @classmethod
    def from_dict(cls, values: dict) -> "TrainConfig":
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in values.items() if k in known})
