"""newsclean: a data-quality and boilerplate-cleaning pipeline for multilingual news corpora."""
