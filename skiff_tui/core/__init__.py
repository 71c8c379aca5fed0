"""The engine. Pure Python over files and processes; it never imports Textual."""
