"""Reference masked-diffusion LM (MDLM) for Parameter Golf: trainer, causal evaluator, artifact."""
