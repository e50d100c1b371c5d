"""The characters Japanese users type where a hyphen is meant, for digit-only values.

On a Japanese keyboard "-" often comes out as the katakana long vowel mark ー (or its
half-width form ｰ, which NFKC folds into ー), and word processors turn hyphens into dashes
or minus signs. In a postal code or phone number all of them can only be separators.
"""

# A regex character-class body, to be used after NFKC (which turns full-width － into "-"):
# hyphen-minus, the Unicode hyphens and dashes U+2010-U+2015, minus sign, katakana ー.
HYPHEN_CHARACTERS = r"\-\u2010-\u2015\u2212ー"
