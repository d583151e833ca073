"""Pure, typed functions over images and masks: segmentation, ranking, inpainting, mask ops and the
model registry. Nothing here knows about chat or Streamlit; models are always passed in."""
