"""Tiny, randomly initialised diffusers pipelines of each family Azur supports, saved as local folders.

They are real diffusers classes with tiny configs (the values follow diffusers' own fast tests), so a
folder built here has the same layout as a real checkpoint (``model_index.json``, one sub-folder per
component) and goes through exactly the code a real Wan, LTX, LTX-2 or CogVideoX folder does. The frames are
noise: these models prove the plumbing, not the pictures. Used by the tests and by ``bench/``.

Nothing is downloaded: the tokenizer is a small Unigram model trained here on a few sentences, laid out
like T5's (``<pad>`` = 0, ``</s>`` = 1, ``<unk>`` = 2, ``</s>`` appended to every sequence).
"""

from __future__ import annotations

from pathlib import Path

import torch

SENTENCES = [
    "a red ball bounces on a blue floor",
    "une balle rouge rebondit sur un sol bleu",
    "a cat walks across the garden at sunset",
    "un chat traverse le jardin au coucher du soleil",
    "waves roll onto a sandy beach under a clear sky",
    "cinematic shot of a city street at night with neon lights",
    "flat 2D vector animation, cartoon with bold outlines, soft painterly lighting",
]

TEXT_DIM = 32  # d_model of the tiny T5 / UMT5 text encoders; the transformers take it as text_dim
GEMMA_DIM = 16  # hidden size of LTX-2's tiny Gemma 3 (its transformer's caption_channels)
GEMMA_LAYERS = 2


def tiny_tokenizer():
    """A T5-style fast tokenizer trained offline on :data:`SENTENCES` (a vocabulary of about 120)."""
    from tokenizers import (
        Tokenizer,
        models,
        normalizers,
        pre_tokenizers,
        processors,
        trainers,
    )
    from transformers import PreTrainedTokenizerFast

    tok = Tokenizer(models.Unigram())
    tok.normalizer = normalizers.NFKC()
    tok.pre_tokenizer = pre_tokenizers.Metaspace()
    trainer = trainers.UnigramTrainer(
        vocab_size=120, special_tokens=["<pad>", "</s>", "<unk>"], unk_token="<unk>", show_progress=False
    )
    tok.train_from_iterator(SENTENCES * 4, trainer=trainer)
    tok.post_processor = processors.TemplateProcessing(single="$A </s>", special_tokens=[("</s>", 1)])
    return PreTrainedTokenizerFast(
        tokenizer_object=tok, pad_token="<pad>", eos_token="</s>", unk_token="<unk>", model_max_length=512
    )


def _t5_encoder(umt5: bool = False):
    from transformers import T5Config, T5EncoderModel, UMT5Config, UMT5EncoderModel

    kwargs = dict(
        vocab_size=128, d_model=TEXT_DIM, d_kv=8, d_ff=64, num_layers=2, num_heads=4,
        relative_attention_num_buckets=8, pad_token_id=0, eos_token_id=1, decoder_start_token_id=0,
    )
    torch.manual_seed(0)
    if umt5:
        return UMT5EncoderModel(UMT5Config(**kwargs))
    return T5EncoderModel(T5Config(**kwargs))


def build_wan(folder: Path) -> Path:
    """A tiny Wan 2.1 text-to-video pipeline (``WanPipeline``)."""
    from diffusers import (
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        WanPipeline,
        WanTransformer3DModel,
    )

    torch.manual_seed(0)
    vae = AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                           temperal_downsample=[False, True, True])
    torch.manual_seed(0)
    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=16, out_channels=16,
        text_dim=TEXT_DIM, freq_dim=256, ffn_dim=32, num_layers=2, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
    )
    pipe = WanPipeline(
        tokenizer=tiny_tokenizer(), text_encoder=_t5_encoder(umt5=True), vae=vae, transformer=transformer,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0),
    )
    pipe.save_pretrained(folder)
    return folder


def build_wan_i2v(folder: Path) -> Path:
    """A tiny Wan 2.1 image-to-video pipeline (``WanImageToVideoPipeline``, with a CLIP image encoder)."""
    from diffusers import (
        AutoencoderKLWan,
        FlowMatchEulerDiscreteScheduler,
        WanImageToVideoPipeline,
        WanTransformer3DModel,
    )
    from transformers import CLIPImageProcessor, CLIPVisionConfig, CLIPVisionModel

    torch.manual_seed(0)
    vae = AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                           temperal_downsample=[False, True, True])
    torch.manual_seed(0)
    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=36, out_channels=16,
        text_dim=TEXT_DIM, freq_dim=256, ffn_dim=32, num_layers=2, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32, image_dim=4,
    )
    torch.manual_seed(0)
    image_encoder = CLIPVisionModel(CLIPVisionConfig(
        hidden_size=4, projection_dim=4, num_hidden_layers=2, num_attention_heads=2, image_size=32,
        intermediate_size=16, patch_size=1,
    ))
    image_processor = CLIPImageProcessor(crop_size=32, size=32)
    pipe = WanImageToVideoPipeline(
        tokenizer=tiny_tokenizer(), text_encoder=_t5_encoder(umt5=True), vae=vae, transformer=transformer,
        scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0), image_encoder=image_encoder,
        image_processor=image_processor,
    )
    pipe.save_pretrained(folder)
    return folder


def build_ltx(folder: Path) -> Path:
    """A tiny LTX-Video pipeline (``LTXPipeline``)."""
    from diffusers import (
        AutoencoderKLLTXVideo,
        FlowMatchEulerDiscreteScheduler,
        LTXPipeline,
        LTXVideoTransformer3DModel,
    )

    torch.manual_seed(0)
    transformer = LTXVideoTransformer3DModel(
        in_channels=8, out_channels=8, patch_size=1, patch_size_t=1, num_attention_heads=4, attention_head_dim=8,
        cross_attention_dim=32, num_layers=2, caption_channels=TEXT_DIM,
    )
    torch.manual_seed(0)
    vae = AutoencoderKLLTXVideo(
        latent_channels=8, block_out_channels=(8, 8, 8, 8), decoder_block_out_channels=(8, 8, 8, 8),
        spatio_temporal_scaling=(True, True, False, False), decoder_spatio_temporal_scaling=(True, True, False, False),
        layers_per_block=(1, 1, 1, 1, 1), decoder_layers_per_block=(1, 1, 1, 1, 1), patch_size=1, patch_size_t=1, encoder_causal=True, decoder_causal=False,
    )
    pipe = LTXPipeline(
        tokenizer=tiny_tokenizer(), text_encoder=_t5_encoder(), vae=vae, transformer=transformer,
        scheduler=FlowMatchEulerDiscreteScheduler(),
    )
    pipe.save_pretrained(folder)
    return folder


def _tiny_gemma3():
    """A tiny Gemma 3 (text and vision towers) built from its config, and a Gemma tokenizer over the same
    offline vocabulary as :func:`tiny_tokenizer` (LTX-2 reads the text tower's hidden states)."""
    from transformers import (
        Gemma3Config,
        Gemma3ForConditionalGeneration,
        Gemma3TextConfig,
        GemmaTokenizerFast,
        SiglipVisionConfig,
    )

    config = Gemma3Config(
        text_config=Gemma3TextConfig(
            vocab_size=128, hidden_size=GEMMA_DIM, intermediate_size=32, num_hidden_layers=GEMMA_LAYERS,
            num_attention_heads=2, num_key_value_heads=1, head_dim=8, sliding_window=16, max_position_embeddings=256,
            pad_token_id=0, eos_token_id=1, bos_token_id=1,
        ),
        # 8x8 pixels in 2x2 patches, pooled to 4 tokens: the smallest tower the projector accepts.
        vision_config=SiglipVisionConfig(hidden_size=8, intermediate_size=16, num_hidden_layers=1,
                                         num_attention_heads=2, image_size=8, patch_size=2),
        mm_tokens_per_image=4, boi_token_index=125, eoi_token_index=126, image_token_index=127,
    )
    torch.manual_seed(0)
    text_encoder = Gemma3ForConditionalGeneration(config)
    tokenizer = GemmaTokenizerFast(
        tokenizer_object=tiny_tokenizer().backend_tokenizer, pad_token="<pad>", eos_token="</s>", bos_token="</s>",
        unk_token="<unk>", model_max_length=512,
    )
    return text_encoder, tokenizer


def build_ltx2(folder: Path) -> Path:
    """A tiny LTX-2 pipeline (``LTX2Pipeline``): a video and an audio transformer stream, the video VAE
    (2x spatial and temporal compression here), the audio VAE (mel spectrograms) and a vocoder whose
    waveform is 16 kHz (its upsampling, 5x4x4x2 = 160, is the mel hop), with a tiny Gemma 3 text encoder."""
    from diffusers import (
        AutoencoderKLLTX2Audio,
        AutoencoderKLLTX2Video,
        FlowMatchEulerDiscreteScheduler,
        LTX2Pipeline,
        LTX2VideoTransformer3DModel,
    )
    from diffusers.pipelines.ltx2 import LTX2TextConnectors, LTX2Vocoder

    text_encoder, tokenizer = _tiny_gemma3()
    torch.manual_seed(0)
    transformer = LTX2VideoTransformer3DModel(
        in_channels=4, out_channels=4, patch_size=1, patch_size_t=1, num_attention_heads=2, attention_head_dim=8,
        cross_attention_dim=16, audio_in_channels=4, audio_out_channels=4, audio_num_attention_heads=2,
        audio_attention_head_dim=4, audio_cross_attention_dim=8, num_layers=2, qk_norm="rms_norm_across_heads",
        caption_channels=GEMMA_DIM, rope_type="split", rope_double_precision=False,
    )
    torch.manual_seed(0)
    connectors = LTX2TextConnectors(
        caption_channels=GEMMA_DIM, text_proj_in_factor=GEMMA_LAYERS + 1,  # every layer's states + the embeddings
        video_connector_num_attention_heads=2, video_connector_attention_head_dim=8, video_connector_num_layers=1,
        video_connector_num_learnable_registers=None, audio_connector_num_attention_heads=2,
        audio_connector_attention_head_dim=8, audio_connector_num_layers=1, audio_connector_num_learnable_registers=None,
        connector_rope_base_seq_len=32, rope_type="split", rope_double_precision=False,
    )
    torch.manual_seed(0)
    vae = AutoencoderKLLTX2Video(
        latent_channels=4, block_out_channels=(8,), decoder_block_out_channels=(8,), layers_per_block=(1, 1),
        decoder_layers_per_block=(1, 1), spatio_temporal_scaling=(True,), decoder_spatio_temporal_scaling=(True,),
        decoder_inject_noise=(False, False), downsample_type=("spatial",), upsample_type=("spatiotemporal",),
        upsample_residual=(False,), upsample_factor=(1,), patch_size=1, patch_size_t=1, encoder_causal=True,
        decoder_causal=False,
    )
    torch.manual_seed(0)
    audio_vae = AutoencoderKLLTX2Audio(
        base_channels=4, output_channels=2, ch_mult=(1, 2, 4), num_res_blocks=1, resolution=32, latent_channels=2,
        sample_rate=16000, mel_hop_length=160, mel_bins=8,
    )
    torch.manual_seed(0)
    vocoder = LTX2Vocoder(
        in_channels=2 * 8, hidden_channels=32, out_channels=2, upsample_kernel_sizes=[10, 8, 8, 4],
        upsample_factors=[5, 4, 4, 2], resnet_kernel_sizes=[3], resnet_dilations=[[1, 3, 5]],
        output_sampling_rate=16000,
    )
    with torch.no_grad():
        # A random vocoder's biases drown the tiny spectrogram (its waveform would hardly change with the
        # seed); without them, and with its input amplified, the sound follows the spectrogram as a trained
        # vocoder's does.
        for name, parameter in vocoder.named_parameters():
            if name.endswith("bias"):
                parameter.zero_()
        vocoder.conv_in.weight.mul_(50.0)
    pipe = LTX2Pipeline(
        scheduler=FlowMatchEulerDiscreteScheduler(), vae=vae, audio_vae=audio_vae, text_encoder=text_encoder,
        tokenizer=tokenizer, connectors=connectors, transformer=transformer, vocoder=vocoder,
    )
    pipe.save_pretrained(folder)
    return folder


def build_cogvideox(folder: Path) -> Path:
    """A tiny CogVideoX pipeline (``CogVideoXPipeline``)."""
    from diffusers import (
        AutoencoderKLCogVideoX,
        CogVideoXDDIMScheduler,
        CogVideoXPipeline,
        CogVideoXTransformer3DModel,
    )

    torch.manual_seed(0)
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=4, attention_head_dim=8, in_channels=4, out_channels=4, time_embed_dim=2,
        text_embed_dim=TEXT_DIM, num_layers=2, sample_width=2, sample_height=2, sample_frames=9, patch_size=2,
        temporal_compression_ratio=4, max_text_seq_length=16,
    )
    torch.manual_seed(0)
    vae = AutoencoderKLCogVideoX(
        in_channels=3, out_channels=3,
        down_block_types=("CogVideoXDownBlock3D",) * 4, up_block_types=("CogVideoXUpBlock3D",) * 4,
        block_out_channels=(8, 8, 8, 8), latent_channels=4, layers_per_block=1, norm_num_groups=2,
        temporal_compression_ratio=4,
    )
    pipe = CogVideoXPipeline(
        tokenizer=tiny_tokenizer(), text_encoder=_t5_encoder(), vae=vae, transformer=transformer,
        scheduler=CogVideoXDDIMScheduler(),
    )
    pipe.save_pretrained(folder)
    return folder


def _tiny_wan_transformer(in_channels: int = 16, seed: int = 0):
    from diffusers import WanTransformer3DModel

    torch.manual_seed(seed)
    return WanTransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=in_channels,
        out_channels=in_channels, text_dim=TEXT_DIM, freq_dim=256, ffn_dim=32, num_layers=2, cross_attn_norm=True,
        qk_norm="rms_norm_across_heads", rope_max_seq_len=32,
    )


def build_wan22_a14b(folder: Path) -> Path:
    """A tiny Wan 2.2 A14B layout: two experts (``transformer`` for high noise, ``transformer_2`` for low
    noise) and the ``boundary_ratio`` where the pipeline hands over (0.875, as the T2V checkpoint's)."""
    from diffusers import AutoencoderKLWan, FlowMatchEulerDiscreteScheduler, WanPipeline

    torch.manual_seed(0)
    vae = AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                           temperal_downsample=[False, True, True])
    pipe = WanPipeline(
        tokenizer=tiny_tokenizer(), text_encoder=_t5_encoder(umt5=True), vae=vae, transformer=_tiny_wan_transformer(),
        transformer_2=_tiny_wan_transformer(seed=1), scheduler=FlowMatchEulerDiscreteScheduler(shift=3.0),
        boundary_ratio=0.875,
    )
    pipe.save_pretrained(folder)
    return folder


def build_wan22_ti2v(folder: Path) -> Path:
    """A tiny Wan 2.2 TI2V-5B layout: the Wan 2.2 VAE (16x spatial compression of 2x2-patchified pixels, 48
    latent channels, residual) and per-token timesteps (``expand_timesteps``)."""
    from diffusers import AutoencoderKLWan, FlowMatchEulerDiscreteScheduler, WanPipeline

    torch.manual_seed(0)
    vae = AutoencoderKLWan(
        base_dim=12, decoder_base_dim=16, z_dim=48, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
        temperal_downsample=[False, True, True], is_residual=True, in_channels=12, out_channels=12, patch_size=2,
        scale_factor_spatial=16, scale_factor_temporal=4, latents_mean=[0.0] * 48, latents_std=[1.0] * 48,
    )
    pipe = WanPipeline(
        tokenizer=tiny_tokenizer(), text_encoder=_t5_encoder(umt5=True), vae=vae, transformer=_tiny_wan_transformer(48),
        scheduler=FlowMatchEulerDiscreteScheduler(shift=5.0), expand_timesteps=True,
    )
    pipe.save_pretrained(folder)
    return folder


def build_skyreels_df(folder: Path) -> Path:
    """A tiny SkyReels-V2 diffusion-forcing pipeline (``SkyReelsV2DiffusionForcingPipeline``): a Wan-shaped
    transformer that takes a noise level per latent frame, with the Wan VAE and UniPC."""
    from diffusers import (
        AutoencoderKLWan,
        SkyReelsV2DiffusionForcingPipeline,
        SkyReelsV2Transformer3DModel,
        UniPCMultistepScheduler,
    )

    torch.manual_seed(0)
    vae = AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                           temperal_downsample=[False, True, True])
    torch.manual_seed(0)
    transformer = SkyReelsV2Transformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=16, out_channels=16,
        text_dim=TEXT_DIM, freq_dim=256, ffn_dim=32, num_layers=2, cross_attn_norm=True,
        qk_norm="rms_norm_across_heads", rope_max_seq_len=32,
    )
    pipe = SkyReelsV2DiffusionForcingPipeline(
        tokenizer=tiny_tokenizer(), text_encoder=_t5_encoder(umt5=True), vae=vae, transformer=transformer,
        scheduler=UniPCMultistepScheduler(flow_shift=8.0, use_flow_sigmas=True, prediction_type="flow_prediction"),
    )
    pipe.save_pretrained(folder)
    return folder


def build_wan_lora(path: Path, *, seed: int = 1, strength: float = 30.0) -> Path:
    """A random LoRA (rank 4, on the attention projections) for :func:`build_wan`'s transformer, saved by
    diffusers as ``pytorch_lora_weights.safetensors`` in the folder ``path``. ``strength`` scales its
    up-projection so that its effect on a 2-step tiny run is plain to see."""
    from diffusers import WanPipeline, WanTransformer3DModel
    from peft import LoraConfig, get_peft_model_state_dict

    torch.manual_seed(0)
    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2), num_attention_heads=2, attention_head_dim=12, in_channels=16, out_channels=16,
        text_dim=TEXT_DIM, freq_dim=256, ffn_dim=32, num_layers=2, cross_attn_norm=True, qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
    )
    torch.manual_seed(seed)
    transformer.add_adapter(LoraConfig(r=4, lora_alpha=4, target_modules=["to_q", "to_k", "to_v", "to_out.0"],
                                       init_lora_weights=False))
    state = get_peft_model_state_dict(transformer)
    state = {k: v * strength if "lora_B" in k else v for k, v in state.items()}
    WanPipeline.save_lora_weights(path, transformer_lora_layers=state)
    return path


BUILDERS = {"wan": build_wan, "wan-i2v": build_wan_i2v, "ltx": build_ltx, "cogvideox": build_cogvideox,
            "wan22-a14b": build_wan22_a14b, "wan22-ti2v": build_wan22_ti2v, "skyreels": build_skyreels_df,
            "ltx2": build_ltx2}
