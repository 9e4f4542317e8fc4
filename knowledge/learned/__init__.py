"""The learned second opinion: a small linear text classifier trained offline on the corpus here.

features.py (shared by training and inference), model.py (numpy-only inference, `load_model`),
corpus.py (the labelled JSON Lines), train.py and report.py (scikit-learn, offline only).
This package never imports aiogram or bot/.
"""
